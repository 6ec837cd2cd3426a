/**
 * Failure matrix: the backup's disk fills up. Its data directory (the LUN image and the
 * point store beside it) is a 24 MiB tmpfs of this test's own, the LUN 16 MiB, so the LUN
 * fits but keeping points of rewrites soon does not. Host writes go on throughout, each
 * acknowledged one recorded.
 *
 * - Preserving for points runs out of space: the backup gives up points, oldest first, the
 *   newest point only once nothing else is left; each one logged (`point-dropped`, reason
 *   out of space) and gone from `tandem points`; replication never leaves continuous
 *   mirroring for it. Every point still listed exports exactly the image it was made of.
 * - The disk full even with no point left (a write into a hole of the image): the write
 *   fails on the backup, the primary goes on in delta mode, `tandem status` names the
 *   cause, `tandem point create` answers one line naming it and exits 1; once space is
 *   freed the pair converges.
 * - No acknowledged host write is lost on the primary.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hashFile, logEvents, report, runCli, type Cluster } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';
import { BLOCK, connectHost } from './host-writer.js';
import { mountTmpfs, skipWithoutTmpfs, type SmallTmpfs } from './small-tmpfs.js';

const MIB = 1024 * 1024;
const SIZE = 16 * MIB;
const DISK = 24 * MIB;
const PIECE = 256 * 1024;

/** Fills the file system holding `path` to the last block. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'a');
  const chunk = Buffer.alloc(MIB, 0x5a);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(skipWithoutTmpfs())('the backup\'s disk fills up', () => {
  let disk: SmallTmpfs;
  const startCluster = clusterPerTest();
  beforeAll(() => {
    disk = mountTmpfs(DISK);
  });
  afterAll(() => disk?.unmount());

  test('points are given up oldest first, the newest last; a disk full without points fails the write as out of space until freed', async () => {
    const cluster: Cluster = await startCluster(SIZE, disk.dir);
    await cluster.startPrimary({ mode: 'continuous' });
    await cluster.configSet('pointInterval', '0');
    await cluster.waitContinuous(30_000);
    const host = await connectHost(cluster.primary!.port);
    /** Every acknowledged host write, applied in order: what the primary's image must be. */
    const model = Buffer.alloc(SIZE);
    /** Point id → the primary's image when it was made. */
    const made = new Map<number, string>();
    const ballast = join(disk.dir, 'ballast');

    const write = async (from: number, to: number) => {
      for (let at = from; at < to; at += PIECE) {
        const data = randomBytes(PIECE);
        await host.write16(0, at / BLOCK, data);
        data.copy(model, at);
      }
      await host.synchronizeCache(0);
    };
    const create = async () => {
      const image = hashFile(cluster.path('primary.img'));
      const r = await runCli(['point', 'create', '--json', '--control', cluster.primary!.control], 60_000);
      expect(r.code, `point create: ${r.stderr}`).toBe(0);
      const id = (JSON.parse(r.stdout) as { points: Array<{ id: number }> }).points[0]!.id;
      made.set(id, image);
    };
    const listed = async () => {
      const r = await runCli(['points', '--json', '--control', cluster.backup.control]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { targets: Array<{ points: Array<{ id: number }> }> }).targets[0]!.points.map((p) => p.id);
    };
    /** Each point the backup lists exports exactly the image it was made of (the export lands outside the tmpfs). */
    const checkExports = async (ids: number[]) => {
      for (const id of ids) {
        const to = cluster.path(`point-${id}.img`);
        const r = await runCli(['point', 'export', String(id), '--to', to, '--control', cluster.backup.control]);
        expect(r.code, `export of point ${id}: ${r.stderr}`).toBe(0);
        expect(hashFile(to), `point ${id}`).toBe(made.get(id));
      }
    };
    const dropped = () => logEvents(cluster.backup, 'point-dropped').map((e) => [e.id, e.reason]);

    try {
      // The last MiB stays a hole: the image can grow into it later, when the disk is full.
      await write(0, 15 * MIB);
      await create(); // 1
      await write(0, 4 * MIB); // point 1 holds 4 MiB
      await create(); // 2
      await write(4 * MIB, 8 * MIB); // point 2 holds 4 MiB: under 1 MiB left
      await create(); // 3
      // Point 3 needs 6 MiB: giving up point 1 frees 4, not enough; point 2 goes too.
      await write(8 * MIB, 14 * MIB);
      await create(); // 4, so point 3 is no longer the newest
      expect(await listed()).toEqual([3, 4]);
      expect(dropped()).toEqual([[1, 'out of space'], [2, 'out of space']]);
      await checkExports([3, 4]);

      // Point 4 needs 4 MiB, about 3 are free: the older point goes, the newest stays.
      await write(0, 4 * MIB);
      await create(); // 5
      expect(await listed()).toEqual([4, 5]);
      expect(dropped().map(([id]) => id)).toEqual([1, 2, 3]);

      // The disk full to the last block: the older point still goes first, and is enough.
      fillDisk(ballast);
      await write(4 * MIB, 5 * MIB);
      // Applied on the backup once nothing is queued (continuous mirroring acknowledges before it).
      await cluster.waitQuiesced(30_000);
      expect(await listed()).toEqual([5]);
      expect(dropped().map(([id]) => id)).toEqual([1, 2, 3, 4]);
      await checkExports([5]);

      // Only the newest is left: it goes too, as nothing else can be freed, and the write is applied.
      fillDisk(ballast);
      await write(5 * MIB, 6 * MIB);
      await cluster.waitQuiesced(30_000);
      expect(await listed()).toEqual([]);
      expect(dropped().map(([id]) => id)).toEqual([1, 2, 3, 4, 5]);
      expect((await cluster.status()).lastSwitch?.to, 'replication never left continuous mirroring for points').toBe('continuous');

      // Full with no point to give up: the image cannot grow into its hole.
      fillDisk(ballast);
      await write(15 * MIB, SIZE);
      // The link records the failure a moment before the engine switches on it: wait for both.
      const failed = await cluster.waitFor('the failed backup write in status, in delta', (s) => /out of space/.test(s.link.lastError ?? '') && s.state === 'delta', 30_000);
      expect(failed.lastSwitch?.to).toBe('delta');
      const status = await runCli(['status', '--control', cluster.primary!.control]);
      expect(status.stdout).toMatch(/out of space/);
      const refused = await runCli(['point', 'create', '--control', cluster.primary!.control], 60_000);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^tandem: .*out of space.*\n$/);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);

      unlinkSync(ballast);
      await cluster.waitQuiesced(60_000);
      expect(readFileSync(cluster.path('primary.img')).equals(model), 'every acknowledged write is on the primary').toBe(true);
      const { primary, backup } = cluster.hashes();
      expect(backup).toBe(primary);
      report('backup disk full', { dropped: dropped().map(([id]) => id), lastError: failed.link.lastError, pointCreate: refused.stderr.trim() });
    } finally {
      await host.logout().catch(() => undefined);
    }
  }, 240_000);
});
