/**
 * Points of a target with two replicated LUNs through `tandem serve`, in continuous async
 * mode and in delta mode: every point's exported image of each LUN equals the primary's
 * image of that LUN when the point was made (hashes recorded then), and a point exposed on
 * the backup reads as taken while host writes go on being replicated; a restore that one LUN
 * refuses rolls back neither, and one cut short after the first LUN is finished by running it again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modeSetCommand } from '../../src/cli/admin/actions.js';
import type { AdminIo } from '../../src/cli/admin/call.js';
import { pointCreateCommand, pointExportCommand, pointExposeCommand, pointRestoreCommand, pointUnexposeCommand, pointsCommand } from '../../src/cli/admin/points.js';
import { statusCommand } from '../../src/cli/admin/status.js';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { IscsiSession } from '../../src/initiator/index.js';
import type { TargetPoints } from '../../src/replication/control/point-actions.js';
import { setLogLevel } from '../../src/util/log.js';

const BACKUP_IQN = 'iqn.2026-11.io.tandem:group-backup';
const PRIMARY_IQN = 'iqn.2026-11.io.tandem:group-primary';
const SIZE = 8 * 1024 * 1024;
const BLOCKS = SIZE / 4096;

function capture(): AdminIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}
const portOf = (s: RunningServer) => Number(s.addresses[0]!.split(':').pop());
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A small deterministic generator: the blocks each round writes (the data is random, the choice need not be). */
function blocksOf(round: number, lun: number): number[] {
  return Array.from({ length: 12 }, (_, i) => (round * 131 + lun * 977 + i * 167) % BLOCKS);
}

describe('points of two LUNs of one target through tandem serve', () => {
  let dir: string;
  let backup: RunningServer;
  let primary: RunningServer;
  let host: IscsiSession;
  /** Point id → the primary's image hash of each LUN when it was made. */
  const made = new Map<number, [string, string]>();
  const primaryImage = (lun: number) => readFileSync(join(dir, `primary${lun}.img`));

  async function stateOf(lun: number): Promise<string | undefined> {
    const status = capture();
    await statusCommand({ control: primary.controlPath!, json: true, watch: false }, status);
    return (JSON.parse(status.stdout) as ServerStatus).luns[lun]!.replication!.state;
  }

  /** The backup's points every LUN holds, and those only some hold. */
  async function listedIds(): Promise<{ ids: number[]; incomplete: number[] }> {
    const io = capture();
    expect(await pointsCommand({ control: backup.controlPath!, json: true }, io)).toBe(0);
    const t = (JSON.parse(io.stdout) as { targets: TargetPoints[] }).targets[0]!;
    return { ids: t.points.map((p) => p.id), incomplete: t.incomplete };
  }

  function config(name: string, json: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(json));
    return path;
  }

  async function round(r: number): Promise<void> {
    for (const lun of [0, 1]) {
      for (const b of blocksOf(r, lun)) await host.write16(lun, b, randomBytes(4096));
      await host.synchronizeCache(lun);
    }
    const hashes: [string, string] = [sha(primaryImage(0)), sha(primaryImage(1))];
    const io = capture();
    expect(await pointCreateCommand({ control: primary.controlPath!, json: true, label: `round ${r}` }, io)).toBe(0);
    const result = JSON.parse(io.stdout) as { points: Array<{ id: number; luns: number[] }> };
    expect(result.points[0]!.luns).toEqual([0, 1]);
    made.set(result.points[0]!.id, hashes);
  }

  beforeAll(async () => {
    setLogLevel('warn');
    dir = mkdtempSync(join(tmpdir(), 'tandem-group-'));
    const lunOf = (name: string) => ({ path: join(dir, name), size: SIZE, blockSize: 4096 });
    backup = await startServer(
      buildServeSettings({
        config: config('backup.json', { role: 'backup', listen: ['127.0.0.1:0'], control: join(dir, 'backup.sock'), targets: [{ iqn: BACKUP_IQN, luns: [lunOf('backup0.img'), lunOf('backup1.img')] }] }),
      }),
    );
    const replica = (lun: number) => `iscsi://127.0.0.1:${portOf(backup)}/${BACKUP_IQN}/${lun}`;
    primary = await startServer(
      buildServeSettings({
        config: config('primary.json', {
          role: 'primary',
          listen: ['127.0.0.1:0'],
          control: join(dir, 'primary.sock'),
          replication: { pointInterval: 0, thresholds: { healthyForMs: '1s', lowTrafficBytesPerSec: 0 } },
          targets: [{ iqn: PRIMARY_IQN, luns: [{ ...lunOf('primary0.img'), replica: replica(0) }, { ...lunOf('primary1.img'), replica: replica(1) }] }],
        }),
      }),
    );
    host = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(primary), targetName: PRIMARY_IQN, initiatorName: 'iqn.2026-11.example:host' });
    await host.waitReady(0);
    await host.waitReady(1);
  }, 60_000);

  afterAll(async () => {
    await host?.logout().catch(() => undefined);
    await primary?.close();
    await backup?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('continuous async, then delta: every point exports, per LUN, the image the primary had when it was made', async () => {
    for (let r = 1; r <= 3; r++) await round(r);
    expect(await modeSetCommand({ control: primary.controlPath!, mode: 'delta' }, capture())).toBe(0);
    for (let r = 4; r <= 6; r++) await round(r);

    const io = capture();
    expect(await pointsCommand({ control: backup.controlPath!, json: true }, io)).toBe(0);
    const listed = (JSON.parse(io.stdout) as { targets: TargetPoints[] }).targets[0]!;
    expect(listed.incomplete).toEqual([]);
    const manual = listed.points.filter((p) => p.origin === 'manual');
    expect(manual.map((p) => p.id)).toEqual([...made.keys()]);
    for (const [id, hashes] of made) {
      for (const lun of [0, 1]) {
        const to = join(dir, `point${id}-lun${lun}.img`);
        expect(await pointExportCommand({ control: backup.controlPath!, id, to, select: { lun } }, capture())).toBe(0);
        expect(sha(readFileSync(to)), `point ${id} LUN ${lun}`).toBe(hashes[lun]);
      }
    }
  }, 120_000);

  it('a point exposed on the backup reads as taken while host writes go on being replicated', async () => {
    expect(await modeSetCommand({ control: primary.controlPath!, mode: 'continuous' }, capture())).toBe(0);
    // Back to continuous once the link has been healthy for healthyForMs (1 s here).
    for (let i = 0; i < 300 && (await stateOf(1)) !== 'continuous'; i++) await new Promise((r) => setTimeout(r, 100));
    const [id, hashes] = [...made].at(0)!;
    const io = capture();
    expect(await pointExposeCommand({ control: backup.controlPath!, json: true, id, select: { lun: 1 } }, io)).toBe(0);
    const lun = (JSON.parse(io.stdout) as { exposedLun: number }).exposedLun;
    const reader = await IscsiSession.connect({ host: '127.0.0.1', port: portOf(backup), targetName: BACKUP_IQN, initiatorName: 'iqn.2026-11.example:reader' });
    try {
      await reader.waitReady(lun);
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) await host.write16(1, (i * 389) % BLOCKS, randomBytes(4096));
      })();
      // Several whole reads, each racing the replicated writes.
      for (let pass = 0; pass < 3; pass++) {
        const parts: Buffer[] = [];
        for (let b = 0; b < BLOCKS; b += 256) parts.push(await reader.read16(lun, b, 256));
        expect(sha(Buffer.concat(parts))).toBe(hashes[1]);
      }
      writing = false;
      await writer;
      // The writes were being mirrored (not only tracked) while the point was read.
      expect(await stateOf(1)).toBe('continuous');
    } finally {
      await reader.logout();
    }
    expect(await pointUnexposeCommand({ control: backup.controlPath!, id }, capture())).toBe(0);
  }, 120_000);

  it('a restore refused for one LUN (a later point exposed there) rolls back neither LUN', async () => {
    const ids = [...made.keys()];
    const [first, newest] = [ids.at(0)!, ids.at(-1)!];
    // The last test's writes all on the backup first (async: acknowledged before they are shipped).
    const quiet = async () => {
      const io = capture();
      await statusCommand({ control: primary.controlPath!, json: true, watch: false }, io);
      return (JSON.parse(io.stdout) as ServerStatus).luns.every((l) => l.replication!.state === 'continuous' && l.replication!.journal.entries === 0 && l.replication!.dirtyChunks === 0);
    };
    for (let i = 0; i < 300 && !(await quiet()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await quiet()).toBe(true);
    const before = await listedIds();
    const backupImages = () => [0, 1].map((lun) => sha(readFileSync(join(dir, `backup${lun}.img`))));
    const imagesBefore = backupImages();
    // LUN 0's image differs from the first point's: a restore of it alone would show.
    expect(imagesBefore[0]).not.toBe(made.get(first)![0]);
    expect(await pointExposeCommand({ control: backup.controlPath!, id: newest, select: { lun: 1 } }, capture())).toBe(0);
    try {
      const io = capture();
      expect(await pointRestoreCommand({ control: backup.controlPath!, id: first }, io)).not.toBe(0);
      expect(io.stderr).toContain(`point ${newest} after ${first} is exposed; unexpose first`);
      expect(backupImages()).toEqual(imagesBefore);
      expect(await listedIds()).toEqual(before);
    } finally {
      expect(await pointUnexposeCommand({ control: backup.controlPath!, id: newest }, capture())).toBe(0);
    }
  }, 60_000);

  it('a group restore cut short (one LUN rolled back, as a crash between them leaves it) is finished by running it again', async () => {
    const ids = [...made.keys()];
    const first = ids.at(0)!;
    expect(await pointRestoreCommand({ control: backup.controlPath!, id: first, select: { lun: 0 } }, capture())).toBe(0);
    expect(await listedIds()).toEqual({ ids: [first], incomplete: ids.slice(1) });
    const io = capture();
    expect(await pointRestoreCommand({ control: backup.controlPath!, id: first, json: true }, io), io.stderr).toBe(0);
    expect((JSON.parse(io.stdout) as { luns: Array<{ lun: number }> }).luns.map((l) => l.lun)).toEqual([0, 1]);
    expect(await listedIds()).toEqual({ ids: [first], incomplete: [] });
  }, 60_000);
});
