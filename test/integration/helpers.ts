import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings, type ServeFlags } from '../../src/cli/serve-options.js';

export const run = promisify(execFile);

export interface LiveTarget {
  dir: string;
  port: number;
  iqn: string;
  url(lun?: number): string;
  server: RunningServer;
  close(): Promise<void>;
}

/** A real Tandem server in this process on an ephemeral loopback port, with LUN images in a temp dir. */
export async function startLiveTarget(flags: ServeFlags & { lunSpecs?: string[] } = {}): Promise<LiveTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-it-'));
  const iqn = flags.iqn ?? 'iqn.2026-11.io.tandem:it';
  const luns = (flags.lunSpecs ?? ['disk0.img,size=64M']).map((s) => join(dir, s));
  const settings = buildServeSettings({ ...flags, iqn, lun: luns, listen: ['127.0.0.1:0'], logLevel: 'warn' });
  const server = await startServer(settings);
  const port = Number(server.addresses[0]!.split(':').pop());
  return {
    dir,
    port,
    iqn,
    url: (lun = 0) => `iscsi://127.0.0.1:${port}/${iqn}/${lun}`,
    server,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
