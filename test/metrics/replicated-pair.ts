/** An in-process backup and primary (8 MiB LUNs) in a temp dir, for the admin/metrics tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings, type ServeFlags } from '../../src/cli/serve-options.js';
import { setLogLevel } from '../../src/util/log.js';

export const BACKUP_IQN = 'iqn.2026-11.io.tandem:backup';
export const PRIMARY_IQN = 'iqn.2026-11.io.tandem:primary';

export const portOf = (s: RunningServer): number => Number(s.addresses[0]!.split(':').pop());

/** No delta pass of the primary's own accord (a test's --threshold flags still apply after these). */
const QUIET_PRIMARY = ['lowTrafficBytesPerSec=0', 'deltaIntervalMs=60m'];

export interface Pair {
  dir: string;
  backup: RunningServer;
  primary: RunningServer;
  replicaUrl: string;
  /** Stops the primary and starts it again with the same files (and these extra flags). */
  restartPrimary(extra?: Partial<ServeFlags>): Promise<void>;
  close(): Promise<void>;
}

export async function startPair(primaryExtra: Partial<ServeFlags> = {}): Promise<Pair> {
  setLogLevel('warn');
  const dir = mkdtempSync(join(tmpdir(), 'tandem-pair-'));
  const backup = await startServer(
    buildServeSettings({ role: 'backup', iqn: BACKUP_IQN, lun: [`${join(dir, 'backup.img')},size=8M`], listen: ['127.0.0.1:0'], control: join(dir, 'backup.sock') }),
  );
  const replicaUrl = `iscsi://127.0.0.1:${portOf(backup)}/${BACKUP_IQN}/0`;
  const startPrimary = (extra: Partial<ServeFlags>) =>
    startServer(
      buildServeSettings({
        role: 'primary',
        iqn: PRIMARY_IQN,
        lun: [`${join(dir, 'primary.img')},size=8M`],
        replica: replicaUrl,
        replicationMode: 'delta',
        listen: ['127.0.0.1:0'],
        control: join(dir, 'primary.sock'),
        ...extra,
        // Passes run when a test asks (`replicate`), never on the real clock: an early pass once
        // writes stay quiet for 5 s, or the interval, would race the test's own steps on a slow machine.
        threshold: [...QUIET_PRIMARY, ...(extra.threshold ?? [])],
      }),
    );
  const pair: Pair = {
    dir,
    backup,
    primary: await startPrimary(primaryExtra),
    replicaUrl,
    async restartPrimary(extra = primaryExtra) {
      await pair.primary.close();
      pair.primary = await startPrimary(extra);
    },
    async close() {
      await pair.primary?.close();
      await backup.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return pair;
}
