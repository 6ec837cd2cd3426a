/**
 * Recovery points through `tandem serve` on both nodes and the admin commands: a manual
 * point with its hook, points after passes, listing on both nodes, export, expose as a
 * read-only LUN a host reads, restore and the resynchronisation that follows, retention.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSetCommand, modeSetCommand, replicateCommand } from '../../src/cli/admin/actions.js';
import type { AdminIo } from '../../src/cli/admin/call.js';
import { demoteCommand, promoteCommand } from '../../src/cli/admin/roles.js';
import { pointCreateCommand, pointExportCommand, pointExposeCommand, pointRestoreCommand, pointUnexposeCommand, pointsCommand } from '../../src/cli/admin/points.js';
import { statusCommand } from '../../src/cli/admin/status.js';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { IscsiSession, ScsiCheckConditionError } from '../../src/initiator/index.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import type { TargetPoints } from '../../src/replication/control/point-actions.js';
import { setLogLevel } from '../../src/util/log.js';
import { freePort } from '../../tools/harness/ports.js';

const BACKUP_IQN = 'iqn.2026-11.io.tandem:points-backup';
const PRIMARY_IQN = 'iqn.2026-11.io.tandem:points-primary';
const SIZE = 8 * 1024 * 1024;
const HOST = 'iqn.2026-11.example:host';

function capture(): AdminIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

const portOf = (s: RunningServer) => Number(s.addresses[0]!.split(':').pop());
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function json<T>(run: (io: AdminIo) => Promise<number>): Promise<{ code: number; result: T; stderr: string }> {
  const io = capture();
  const code = await run(io);
  return { code, result: (io.stdout.startsWith('{') ? JSON.parse(io.stdout) : io.stdout) as T, stderr: io.stderr };
}

/** Polls until `check` holds (bounded: a failure names what was awaited, never a timing claim). */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened: ${what}`);
}

describe('recovery points through tandem serve', () => {
  let dir: string;
  let backup: RunningServer;
  let primary: RunningServer;
  let host: IscsiSession;

  const primaryImage = () => readFileSync(join(dir, 'primary.img'));
  const backupImage = () => readFileSync(join(dir, 'backup.img'));
  const points = async (control: string) => (await json<{ targets: TargetPoints[] }>((io) => pointsCommand({ control, json: true }, io))).result.targets[0]!.points;

  async function writeRandom(blocks: number[]): Promise<void> {
    for (const b of blocks) await host.write16(0, b, randomBytes(4096));
    await host.synchronizeCache(0);
  }

  beforeAll(async () => {
    setLogLevel('warn');
    dir = mkdtempSync(join(tmpdir(), 'tandem-points-'));
    const hook = `echo "$TANDEM_POINT_PHASE $TANDEM_POINT_ID $TANDEM_POINT_ORIGIN $TANDEM_TARGET" >> ${join(dir, 'hook.log')}`;
    const common = { pointHook: hook };
    // Both nodes name each other (failback): the primary's port is chosen first.
    const primaryPort = await freePort();
    backup = await startServer(buildServeSettings({ ...common, listen: ['127.0.0.1:0'], peer: `iscsi://127.0.0.1:${primaryPort}/${PRIMARY_IQN}/0`, role: 'backup', iqn: BACKUP_IQN, lun: [`${join(dir, 'backup.img')},size=${SIZE},blocksize=4096`], control: join(dir, 'backup.sock') }));
    primary = await startServer(
      buildServeSettings({
        ...common,
        role: 'primary',
        listen: [`127.0.0.1:${primaryPort}`],
        threshold: ['pointInterval=0', 'healthyForMs=60m', 'lowTrafficBytesPerSec=0'],
        iqn: PRIMARY_IQN,
        lun: [`${join(dir, 'primary.img')},size=${SIZE},blocksize=4096`],
        replica: `iscsi://127.0.0.1:${portOf(backup)}/${BACKUP_IQN}/0`,
        control: join(dir, 'primary.sock'),
      }),
    );
    host = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(primary), targetName: PRIMARY_IQN, initiatorName: HOST });
    await host.waitReady(0);
  }, 60_000);

  afterAll(async () => {
    await host?.logout().catch(() => undefined);
    await primary?.close();
    await backup?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a manual point: the hook runs before and after, the id is printed once the backup holds it, the backup lists it, the primary says where it is', async () => {
    await writeRandom([0, 3, 100, 1000, 2047]);
    const created = await json<{ points: Array<{ id: number; target: string }> }>((io) => pointCreateCommand({ control: primary.controlPath!, json: true, label: 'before-deploy' }, io));
    expect(created.code).toBe(0);
    const id = created.result.points[0]!.id;
    expect(id).toBe(1);
    expect(readFileSync(join(dir, 'hook.log'), 'utf8').trim().split('\n')).toEqual([`before 1 manual ${PRIMARY_IQN}`, `after 1 manual ${PRIMARY_IQN}`]);
    // Held on the backup when create returns: its image then equals the primary's.
    expect(sha(backupImage())).toBe(sha(primaryImage()));
    const listed = await points(backup.controlPath!);
    expect(listed).toEqual([expect.objectContaining({ id: 1, origin: 'manual', label: 'before-deploy' })]);
    const text = capture();
    expect(await pointsCommand({ control: backup.controlPath! }, text)).toBe(0);
    expect(text.stdout).toMatch(/^\s+1\s+\S+Z\s+manual\s+\d+ bytes\s+before-deploy$/m);
    expect(text.stdout).not.toContain('a primary');
    // The primary holds none: it says where they are rather than only "0 points".
    const onPrimary = capture();
    expect(await pointsCommand({ control: primary.controlPath! }, onPrimary)).toBe(0);
    expect(onPrimary.stdout).toContain(': 0 points (a primary: the points it creates are kept on its backup; run tandem points there)');
    const status = await json<ServerStatus>((io) => statusCommand({ control: primary.controlPath!, json: true, watch: false }, io));
    expect(status.result.luns[0]!.replication!.points).toMatchObject({ lastId: 1 });
    const backupStatus = await json<ServerStatus>((io) => statusCommand({ control: backup.controlPath!, json: true, watch: false }, io));
    expect(backupStatus.result.luns[0]!.replication!.points).toMatchObject({ held: 1, newest: { id: 1, origin: 'manual', label: 'before-deploy' }, lastId: 1 });
  }, 60_000);

  it('export writes the point\'s image, holes kept; expose serves it read-only to a host while the live image moves on; unexpose removes it', async () => {
    const atPoint1 = backupImage();
    await writeRandom([0, 3, 5, 1500]);
    // A second point: once the backup holds it, every write above reached the backup.
    expect((await json<unknown>((io) => pointCreateCommand({ control: primary.controlPath!, json: true }, io))).code).toBe(0);
    expect(sha(backupImage())).not.toBe(sha(atPoint1));

    const exported = join(dir, 'point1.img');
    const ex = await json<{ bytes: number; allocatedBytes: number }>((io) => pointExportCommand({ control: backup.controlPath!, json: true, id: 1, to: exported }, io));
    expect(ex.code).toBe(0);
    expect(sha(readFileSync(exported))).toBe(sha(atPoint1));
    // Six 4 KiB blocks written in all: the export holds little more than those.
    expect(statSync(exported).blocks * 512).toBeLessThanOrEqual(64 * 4096);

    const exposed = await json<{ exposedLun: number }>((io) => pointExposeCommand({ control: backup.controlPath!, json: true, id: 1 }, io));
    expect(exposed.code).toBe(0);
    const lun = exposed.result.exposedLun;
    expect(lun).toBeGreaterThan(0);
    const reader = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(backup), targetName: BACKUP_IQN, initiatorName: HOST });
    try {
      expect(await reader.reportLuns()).toContain(lun);
      await reader.waitReady(lun);
      expect(sha(await reader.read16(lun, 0, SIZE / 4096))).toBe(sha(atPoint1));
      const refused = await reader.write16(lun, 0, Buffer.alloc(4096, 7)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ScsiCheckConditionError);
      expect((refused as ScsiCheckConditionError).sense.key).toBe(0x07); // DATA PROTECT

      // While exposed, a restore that would drop it (to an older point) is refused... and it is never pruned.
      expect((await json<unknown>((io) => configSetCommand({ control: backup.controlPath!, key: 'retention', value: 'last=1' }, io))).code).toBe(0);
      expect((await points(backup.controlPath!)).map((p) => p.id)).toEqual([1, 2]);

      const un = await json<{ removedLuns: number[] }>((io) => pointUnexposeCommand({ control: backup.controlPath!, json: true, id: 1 }, io));
      expect(un.result.removedLuns).toEqual([lun]);
      expect(await reader.reportLuns()).not.toContain(lun);
    } finally {
      await reader.logout();
    }
    const again = await json<unknown>((io) => pointUnexposeCommand({ control: backup.controlPath!, json: true, id: 1 }, io));
    expect(again.code).toBe(1);
    // Unpinned, point 1 goes at the next retention run.
    expect((await json<unknown>((io) => configSetCommand({ control: backup.controlPath!, key: 'retention', value: 'last=1' }, io))).code).toBe(0);
    expect((await points(backup.controlPath!)).map((p) => p.id)).toEqual([2]);
    expect((await json<unknown>((io) => configSetCommand({ control: backup.controlPath!, key: 'retention', value: 'last=8,hourly=24,daily=14' }, io))).code).toBe(0);
  }, 60_000);

  it('a committed delta pass makes a point of origin pass', async () => {
    expect(await modeSetCommand({ control: primary.controlPath!, mode: 'delta' }, capture())).toBe(0);
    await writeRandom([7, 8, 9]);
    const pass = await json<unknown>((io) => replicateCommand({ control: primary.controlPath!, json: true }, io));
    expect(pass.code).toBe(0);
    await until('a pass point on the backup', async () => (await points(backup.controlPath!)).some((p) => p.origin === 'pass'));
    expect(readFileSync(join(dir, 'hook.log'), 'utf8')).toMatch(/^before \d+ pass /m);
    expect(await modeSetCommand({ control: primary.controlPath!, mode: 'continuous' }, capture())).toBe(0);
  }, 60_000);

  it('restore on the backup rolls its image back to the point; refused on the primary; the pair then resynchronises', async () => {
    await writeRandom([20, 21]);
    const made = await json<{ points: Array<{ id: number }> }>((io) => pointCreateCommand({ control: primary.controlPath!, json: true }, io));
    const id = made.result.points[0]!.id;
    const atPoint = backupImage();
    expect(sha(atPoint)).toBe(sha(primaryImage()));
    const onPrimary = await json<unknown>((io) => pointRestoreCommand({ control: primary.controlPath!, json: true, id }, io));
    expect(onPrimary.code).toBe(1);
    expect(onPrimary.stderr).toMatch(/^tandem: point restore: restore: this node is the primary; demote it \(or promote the other node\) first\n$/);
    const onBackup = await json<unknown>((io) => pointCreateCommand({ control: backup.controlPath!, json: true }, io));
    expect(onBackup.code).toBe(1);
    expect(onBackup.stderr).toMatch(/^tandem: point create: LUN 0 is not a primary here: points are made on the primary\n$/);
    const unknown = await json<unknown>((io) => pointExportCommand({ control: backup.controlPath!, json: true, id: 999, to: join(dir, 'x.img') }, io));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^tandem: point export: .* holds no point 999 \(it holds [\d, ]+\)\n$/);

    await writeRandom([11, 12, 13]);
    // Once the backup holds a later point, it has those writes.
    expect((await json<unknown>((io) => pointCreateCommand({ control: primary.controlPath!, json: true }, io))).code).toBe(0);
    expect(sha(backupImage())).toBe(sha(primaryImage()));
    const restored = await json<{ luns: Array<{ changedBytes: number }> }>((io) => pointRestoreCommand({ control: backup.controlPath!, json: true, id }, io));
    expect(restored.code).toBe(0);
    expect(restored.result.luns[0]!.changedBytes).toBeGreaterThanOrEqual(3 * 4096);
    expect(sha(backupImage())).toBe(sha(atPoint));
    // The primary learns of it at its next command to the backup (a unit attention), binds
    // again and resynchronises the chunks the restore changed; a pass makes that happen now
    // rather than when auto mode returns to continuous (held off in this test).
    await until('the pair converged again', async () => {
      await replicateCommand({ control: primary.controlPath!, json: true }, capture());
      return sha(backupImage()) === sha(primaryImage());
    });
    const status = await json<ServerStatus>((io) => statusCommand({ control: primary.controlPath!, json: true, watch: false }, io));
    expect(status.result.luns[0]!.replication!.dirtyChunks).toBe(0);
  }, 90_000);

  it('rolling back after corruption: demote the primary, restore the backup to the point, promote it; the old primary follows to the point', async () => {
    const made = await json<{ points: Array<{ id: number }> }>((io) => pointCreateCommand({ control: primary.controlPath!, json: true, label: 'clean' }, io));
    const id = made.result.points[0]!.id;
    const clean = primaryImage();
    // The "corruption": written and shipped (a later point is held by the backup).
    await writeRandom([1, 2, 30, 31, 2000]);
    expect((await json<unknown>((io) => pointCreateCommand({ control: primary.controlPath!, json: true }, io))).code).toBe(0);
    expect(sha(backupImage())).not.toBe(sha(clean));
    await host.logout();

    // The backup must reach its peer for a promotion without --force (its link retries every 2 s after a failed start).
    await until('the backup reaches the primary', async () => (await json<ServerStatus>((io) => statusCommand({ control: backup.controlPath!, json: true, watch: false }, io))).result.luns[0]!.replication!.link.up);
    expect((await json<unknown>((io) => demoteCommand({ control: primary.controlPath!, json: true }, io))).code).toBe(0);
    expect((await json<unknown>((io) => pointRestoreCommand({ control: backup.controlPath!, json: true, id }, io))).code).toBe(0);
    expect(sha(backupImage())).toBe(sha(clean));
    const promoted = await json<unknown>((io) => promoteCommand({ control: backup.controlPath!, json: true, force: false }, io));
    expect(promoted.stderr).toBe('');
    expect(promoted.code).toBe(0);
    // The old primary, now the backup, is resynchronised from the restored node.
    await until('the old primary rolled back too', () => sha(primaryImage()) === sha(clean));
    expect(sha(backupImage())).toBe(sha(clean));
  }, 90_000);
});
