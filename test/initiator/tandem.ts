/**
 * Starts the Tandem target in-process for interop tests. The tests start it in beforeAll
 * and never skip: a Tandem that cannot start, log in or answer fails them with the reason.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
