/**
 * Starts the Tandem target in-process for interop tests. `probeTandem()` tells whether
 * the server in this tree can serve a login and a command at all; interop tests skip
 * (with the reason) until it can.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IscsiSession } from '../../src/initiator/session.js';

export interface RunningTandem {
  port: number;
  iqn: string;
  /** Tandem numbers LUNs from 0. */
  lun: number;
  stop(): Promise<void>;
}

export interface TandemOptions {
  iqn: string;
  lunBytes: number;
  chap?: string;
  mutualChap?: string;
}

export async function startTandem(options: TandemOptions): Promise<RunningTandem> {
  const { startServer } = await import('../../src/cli/serve.js');
  const { buildServeSettings } = await import('../../src/cli/serve-options.js');
  const dir = await mkdtemp(join(tmpdir(), 'tandem-initiator-'));
  const settings = buildServeSettings({
    listen: ['127.0.0.1:0'],
    iqn: options.iqn,
    lun: [`${join(dir, 'disk.img')},size=${options.lunBytes}`],
    logLevel: 'warn',
    ...(options.chap ? { chap: options.chap } : {}),
    ...(options.mutualChap ? { mutualChap: options.mutualChap } : {}),
  });
  const server = await startServer(settings);
  const port = Number(/:(\d+)$/.exec(server.addresses[0] ?? '')?.[1]);
  if (!port) {
    await server.close();
    throw new Error(`Tandem server reported no usable address: ${JSON.stringify(server.addresses)}`);
  }
  return {
    port,
    iqn: options.iqn,
    lun: 0,
    async stop() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** undefined when Tandem can serve; otherwise why not. */
export async function probeTandem(): Promise<string | undefined> {
  let target: RunningTandem | undefined;
  try {
    target = await startTandem({ iqn: 'iqn.2024-01.io.tandem.test:probe', lunBytes: 1024 * 1024 });
    const session = await IscsiSession.connect({
      host: '127.0.0.1',
      port: target.port,
      targetName: target.iqn,
      timeouts: { loginMs: 3000, commandMs: 3000 },
    });
    await session.waitReady(target.lun);
    await session.logout();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await target?.stop().catch(() => undefined);
  }
}
