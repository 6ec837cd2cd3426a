/**
 * Copy-on-write on the backup's write path: concurrent calls share their syncs (one data
 * sync and one map sync serve every call in flight), a unit being copied by one call makes
 * another wait rather than copy it again, and once units are held a call costs no promise
 * and no I/O.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BlockDevice } from '../../../src/block/device.js';
import { nodeFiles, type DurableFiles } from '../../../src/block/durable-file.js';
import { PointStore } from '../../../src/replication/points/point-store.js';
import { openLun, patterned, prng, silentLogger } from './point-harness.js';

const SIZE = 16 * 1024 * 1024;
const G = 4096;

function counting(files: DurableFiles, counts: { dataSyncs: number; mapSyncs: number }): DurableFiles {
  return {
    ...files,
    open: async (path, flags, mode) => {
      const h = await files.open(path, flags, mode);
      const kind = path.endsWith('.cow') ? 'dataSyncs' : path.endsWith('.map') ? 'mapSyncs' : undefined;
      if (!kind) return h;
      return Object.assign(Object.create(h) as typeof h, {
        datasync: () => {
          counts[kind]++;
          return h.datasync();
        },
      });
    },
  };
}

function countingReads(image: BlockDevice, counts: { reads: number }): BlockDevice {
  return new Proxy(image, {
    get: (target, key) => {
      if (key === 'read') return (b: Buffer, o: number) => (counts.reads++, target.read(b, o));
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describe('copy-on-write', () => {
  it('shares one data sync and one map sync among the calls in flight', async () => {
    const lun = await openLun(SIZE);
    const syncs = { dataSyncs: 0, mapSyncs: 0 };
    const io = { reads: 0 };
    try {
      await lun.points.close();
      lun.points = await PointStore.open({ dir: join(lun.dir, 'disk.img.tandem'), image: countingReads(lun.image, io), files: counting(nodeFiles, syncs), logger: silentLogger });
      await lun.image.write(patterned(prng(1), SIZE), 0);
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      const before = { ...syncs };
      // 64 scattered units at once, as a queue depth of 64 would issue them.
      const rng = prng(2);
      const units = new Set<number>();
      while (units.size < 64) units.add(Math.floor(rng() * (SIZE / G)));
      const calls = [...units].map((u) => lun.points.beforeOverwrite(u * G, G));
      expect(calls.every((c) => c instanceof Promise)).toBe(true);
      await Promise.all(calls);
      const dataSyncs = syncs.dataSyncs - before.dataSyncs;
      const mapSyncs = syncs.mapSyncs - before.mapSyncs;
      // The first call's group starts at once; everything else joins at most the next one or two.
      expect(dataSyncs).toBeGreaterThanOrEqual(1);
      expect(dataSyncs).toBeLessThanOrEqual(3);
      expect(mapSyncs).toBeLessThanOrEqual(3);
      expect(lun.points.newest()?.bytes).toBe(64 * G);

      // Held now: no promise, no read, no sync.
      const reads = io.reads;
      for (const u of units) expect(lun.points.beforeOverwrite(u * G + 512, 1024)).toBeUndefined();
      expect(io.reads).toBe(reads);
      expect(syncs.dataSyncs - before.dataSyncs).toBe(dataSyncs);
    } finally {
      await lun.cleanup();
    }
  });

  it('a unit being copied is copied once: a second call waits for the first', async () => {
    const lun = await openLun(SIZE);
    const io = { reads: 0 };
    try {
      await lun.points.close();
      lun.points = await PointStore.open({ dir: join(lun.dir, 'disk.img.tandem'), image: countingReads(lun.image, io), logger: silentLogger });
      await lun.image.write(patterned(prng(3), SIZE), 0);
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      const reads = io.reads;
      const first = lun.points.beforeOverwrite(0, 8 * G);
      const second = lun.points.beforeOverwrite(2 * G, 2 * G);
      const third = lun.points.beforeOverwrite(6 * G, 4 * G); // half copying, half new
      expect(second).toBeInstanceOf(Promise);
      await Promise.all([first, second, third]);
      // One read for the first range, one for the two new units of the third.
      expect(io.reads - reads).toBe(2);
      expect(lun.points.newest()?.bytes).toBe(10 * G);
    } finally {
      await lun.cleanup();
    }
  });

  it('units of zeroes are held without a data write or a data sync', async () => {
    const lun = await openLun(SIZE);
    const syncs = { dataSyncs: 0, mapSyncs: 0 };
    try {
      await lun.points.close();
      lun.points = await PointStore.open({ dir: join(lun.dir, 'disk.img.tandem'), image: lun.image, files: counting(nodeFiles, syncs), logger: silentLogger });
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      const before = { ...syncs };
      // The image is a hole: a discard of all of it preserves zeroes.
      await lun.points.beforeOverwrite(0, SIZE);
      expect(syncs.dataSyncs).toBe(before.dataSyncs);
      expect(syncs.mapSyncs).toBe(before.mapSyncs + 1);
      expect(lun.points.newest()?.bytes).toBe(SIZE);
    } finally {
      await lun.cleanup();
    }
  });
});
