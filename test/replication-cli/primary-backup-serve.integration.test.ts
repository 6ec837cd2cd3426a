import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modeSetCommand, replicateCommand } from '../../src/cli/admin/actions.js';
import type { AdminIo } from '../../src/cli/admin/call.js';
import { statusCommand } from '../../src/cli/admin/status.js';
import { ReplicaSetupError, startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { IscsiSession, ScsiCheckConditionError } from '../../src/initiator/index.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import { setLogLevel } from '../../src/util/log.js';

const BACKUP_IQN = 'iqn.2026-11.io.tandem:backup';
const PRIMARY_IQN = 'iqn.2026-11.io.tandem:primary';
const SIZE = '8M';

function capture(): AdminIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

const portOf = (s: RunningServer) => Number(s.addresses[0]!.split(':').pop());
const hashOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('tandem serve --role primary replicating onto tandem serve --role backup', () => {
  let dir: string;
  let backup: RunningServer;
  let primary: RunningServer;
  let replicaUrl: string;

  beforeAll(async () => {
    setLogLevel('warn');
    dir = mkdtempSync(join(tmpdir(), 'tandem-repl-'));
    backup = await startServer(
      buildServeSettings({ role: 'backup', iqn: BACKUP_IQN, lun: [join(dir, 'backup.img') + `,size=${SIZE}`], listen: ['127.0.0.1:0'], control: join(dir, 'backup.sock') }),
    );
    replicaUrl = `iscsi://127.0.0.1:${portOf(backup)}/${BACKUP_IQN}/0`;
    // Auto mode would catch up on its own after 10 s of healthy link, and delta mode pass early
    // after 5 s of quiet: on a slow machine either could beat the test to its status checks.
    // Here only the test's own `replicate` copies.
    const quiet = ['healthyForMs=60m', 'lowTrafficBytesPerSec=0'];
    primary = await startServer(
      buildServeSettings({ role: 'primary', iqn: PRIMARY_IQN, lun: [join(dir, 'primary.img') + `,size=${SIZE}`], replica: replicaUrl, listen: ['127.0.0.1:0'], control: join(dir, 'primary.sock'), threshold: quiet }),
    );
  }, 30_000);

  afterAll(async () => {
    await primary?.close();
    await backup?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('host writes reach the backup via mode set delta + replicate; status shows the replica', async () => {
    const host = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(primary), targetName: PRIMARY_IQN, initiatorName: 'iqn.2026-11.example:host' });
    try {
      await host.waitReady(0);
      for (let i = 0; i < 32; i++) await host.write16(0, i * 97 + 5, randomBytes(4096));
      await host.synchronizeCache(0);
    } finally {
      await host.logout();
    }

    const status = capture();
    expect(await statusCommand({ control: primary.controlPath!, json: true, watch: false }, status)).toBe(0);
    const s = JSON.parse(status.stdout) as ServerStatus;
    expect(s.role).toBe('primary');
    expect(s.luns[0]!.replica).toBe(replicaUrl);
    expect(s.luns[0]!.replication!.figures.linkUp).toBe(true);
    expect(s.luns[0]!.replication!.dirtyChunks).toBeGreaterThan(0);

    expect(await modeSetCommand({ control: primary.controlPath!, mode: 'delta' }, capture())).toBe(0);
    const pass = capture();
    expect(await replicateCommand({ control: primary.controlPath!, json: true }, pass)).toBe(0);
    expect((JSON.parse(pass.stdout) as { bytesSent: number }).bytesSent).toBeGreaterThan(0);
    expect(hashOf(join(dir, 'backup.img'))).toBe(hashOf(join(dir, 'primary.img')));

    const after = capture();
    await statusCommand({ control: primary.controlPath!, json: true, watch: false }, after);
    const r = (JSON.parse(after.stdout) as ServerStatus).luns[0]!.replication!;
    expect(r).toMatchObject({ mode: 'delta', state: 'delta', dirtyChunks: 0, recoveryPointAgeMs: 0 });
    expect(r.lastPass!.bytesSent).toBeGreaterThan(0);

    const backupStatus = capture();
    await statusCommand({ control: backup.controlPath!, json: true, watch: false }, backupStatus);
    expect((JSON.parse(backupStatus.stdout) as ServerStatus).role).toBe('backup');
  }, 30_000);

  it('an ordinary initiator can neither write nor read through the backup\'s standby port (ALUA): NOT READY / TARGET PORT IN STANDBY STATE', async () => {
    const intruder = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(backup), targetName: BACKUP_IQN, initiatorName: 'iqn.2026-11.example:host' });
    try {
      await intruder.waitReady(0);
      const err = await intruder.write16(0, 0, Buffer.alloc(512, 1)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScsiCheckConditionError);
      const sense = (err as ScsiCheckConditionError).sense;
      expect([sense.key, sense.asc, sense.ascq]).toEqual([0x02, 0x04, 0x0b]);
      // Reads too: a backup serves hosts only once promoted (it was readable before ALUA).
      const readErr = await intruder.read16(0, 0, 1).catch((e: unknown) => e);
      expect(readErr).toBeInstanceOf(ScsiCheckConditionError);
      const readSense = (readErr as ScsiCheckConditionError).sense;
      expect([readSense.key, readSense.asc, readSense.ascq]).toEqual([0x02, 0x04, 0x0b]);
    } finally {
      await intruder.logout();
    }
  }, 30_000);

  it('a second primary volume pointed at the same backup is refused with one clear line', async () => {
    const other = buildServeSettings({ role: 'primary', iqn: 'iqn.2026-11.io.tandem:other', lun: [join(dir, 'other.img') + `,size=${SIZE}`], replica: replicaUrl, listen: ['127.0.0.1:0'], control: join(dir, 'other.sock') });
    const err = await startServer(other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicaSetupError);
    expect((err as Error).message).toMatch(/other\.img: replica .* belongs to another volume.*--start-over/);
    // The backup holds the first volume's data: the advice for a replaced disk (promote the peer, rejoin as backup) comes first.
    expect((err as Error).message).toMatch(/it holds that volume's data, generation [0-9a-f]{16}\).*promote the peer \(tandem promote there\) and restart this node with --role backup/);
    expect((err as Error).message).not.toContain('\n');
    // The refused start leaves nothing it created: restarted with --role backup as advised, the node is new, not a primary with history.
    expect(existsSync(join(dir, 'other.img'))).toBe(false);
    expect(existsSync(join(dir, 'other.img.tandem'))).toBe(false);
  }, 30_000);
});
