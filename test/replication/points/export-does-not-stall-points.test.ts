/**
 * An export of a point (`tandem point export`, minutes for a large LUN) reads the point a
 * piece at a time: it held the store's reader lock for the whole export, so the retention
 * prune queued after a point waited for it, and so did the next point's take behind that
 * prune — whose hold makes every copy-on-write, and so every write the backup applies, wait
 * from the moment it is asked. Replication stalled until the export ended. The exported point
 * itself is kept meanwhile (BackupPoints, as an exposed point), and the file is the point's
 * image whatever was pruned or taken between two pieces.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DurableFiles } from '../../../src/block/durable-file.js';
import { nodeFiles } from '../../../src/block/durable-file.js';
import { HostWriteOrder } from '../../../src/replication/host-write-order.js';
import { BackupPoints } from '../../../src/replication/points/backup-points.js';
import { openLun, patterned, prng, readAll, silentLogger, write, type Lun } from './point-harness.js';

const MIB = 1024 * 1024;
// Four export pieces of 4 MiB.
const SIZE = 16 * MIB;

const luns: Lun[] = [];
afterEach(async () => {
  for (const l of luns.splice(0)) await l.cleanup();
});

/** node:fs, but writes to the file named `exported` wait for `release` once it is called. */
function slowExport(): { files: DurableFiles; started: Promise<void>; release: () => void; path: (dir: string) => string } {
  let release!: () => void;
  let started!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const startedP = new Promise<void>((r) => (started = r));
  const files: DurableFiles = {
    ...nodeFiles,
    open: async (path, flags, mode) => {
      const fh = await nodeFiles.open(path, flags, mode);
      if (!path.endsWith('exported.img')) return fh;
      return {
        ...fh,
        read: (...a: Parameters<typeof fh.read>) => fh.read(...a),
        write: async (...a: Parameters<typeof fh.write>) => {
          started();
          await gate;
          return fh.write(...a);
        },
        writev: (...a: Parameters<typeof fh.writev>) => fh.writev(...a),
        writeFile: (...a: Parameters<typeof fh.writeFile>) => fh.writeFile(...a),
        truncate: (...a: Parameters<typeof fh.truncate>) => fh.truncate(...a),
        datasync: () => fh.datasync(),
        sync: () => fh.sync(),
        stat: () => fh.stat(),
        close: () => fh.close(),
      };
    },
  };
  return { files, started: startedP, release, path: (dir) => join(dir, 'exported.img') };
}

/** Points 1 and 2 of a LUN written whole, each followed by 1 MiB of rewrites; their images. */
async function twoPoints(lun: Lun): Promise<Map<number, Buffer>> {
  const rng = prng(5);
  await lun.image.write(patterned(rng, SIZE), 0);
  const images = new Map<number, Buffer>();
  for (let id = 1; id <= 2; id++) {
    await lun.points.take({ id, at: id * 1000, origin: 'manual' });
    images.set(id, await readAll(lun.image, SIZE));
    // Over every export piece: the exported point reads from its store, the next one's and the image.
    for (let at = (id - 1) * 64 * 1024; at < SIZE; at += 4 * MIB) await write(lun.points, lun.image, patterned(rng, 256 * 1024), at);
  }
  return images;
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => 'done' as const), new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), ms))]);

describe('an export in progress', () => {
  it('does not hold off the prune queued after it, nor the take and the writes behind that', async () => {
    const slow = slowExport();
    const lun = await openLun(SIZE, { files: slow.files });
    luns.push(lun);
    const images = await twoPoints(lun);
    const exporting = lun.points.exportTo(2, slow.path(lun.dir));
    await slow.started;
    // As BackupPoints does after a point: retention (here: point 1 goes), then the next point from the primary.
    const pruning = lun.points.applyRetention({ last: 1, hourly: 0, daily: 0 }, 3000);
    const taking = lun.points.take({ id: 3, at: 3000, origin: 'manual' });
    // A write the backup applies meanwhile, to units no store holds: its copy-on-write waits for the take.
    const writing = write(lun.points, lun.image, patterned(prng(9), 64 * 1024), SIZE - 64 * 1024);
    const outcome = await within(Promise.all([pruning, taking, writing]), 5000);
    slow.release();
    await Promise.all([exporting, pruning, taking, writing]);
    expect(outcome).toBe('done');
    expect(await pruning).toEqual([1]);
    expect(lun.points.list().map((p) => p.id)).toEqual([2, 3]);
    // Point 1 went and point 3 came between the pieces: the file is point 2 all the same.
    expect(readFileSync(slow.path(lun.dir)).equals(images.get(2)!)).toBe(true);
  });

  it('keeps the exported point: a retention prune between two pieces leaves it to the export', async () => {
    const slow = slowExport();
    const lun = await openLun(SIZE, { files: slow.files });
    luns.push(lun);
    const images = await twoPoints(lun);
    const points = new BackupPoints(lun.points, new HostWriteOrder(), () => true, silentLogger, { last: 8, hourly: 0, daily: 0 }, () => 3000);
    const exporting = points.exportTo(1, slow.path(lun.dir));
    await slow.started;
    const pruning = points.setRetention({ last: 1, hourly: 0, daily: 0 });
    const outcome = await within(pruning, 5000);
    slow.release();
    await exporting;
    expect(outcome).toBe('done');
    expect(await pruning).toEqual([]);
    expect(readFileSync(slow.path(lun.dir)).equals(images.get(1)!)).toBe(true);
    // Exported, it is no longer kept.
    expect(await points.setRetention({ last: 1, hourly: 0, daily: 0 })).toEqual([1]);
  });
});
