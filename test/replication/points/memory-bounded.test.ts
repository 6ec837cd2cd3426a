/**
 * Memory stays bounded: a point's bitmap never takes more than volume / granularity / 8
 * bytes (a few scattered units cost a few 512-byte pages), and no operation — copy-on-write
 * of a whole-volume discard, export, prune, restore — reads or writes more than 4 MiB at
 * once: point data is moved in pieces, never loaded.
 */
import { describe, expect, it } from 'vitest';
import type { BlockDevice } from '../../../src/block/device.js';
import { nodeFiles, type DurableFile, type DurableFiles } from '../../../src/block/durable-file.js';
import { MAX_PIECE_BYTES } from '../../../src/replication/points/block-io.js';
import { PointStore } from '../../../src/replication/points/point-store.js';
import { openLun, patterned, prng, silentLogger } from './point-harness.js';
import { join } from 'node:path';

const SIZE = 64 * 1024 * 1024;
const G = 4096;

/** The largest single read or write the store asks of the image and of its files. */
class Largest {
  io = 0;
  note(n: number): void {
    this.io = Math.max(this.io, n);
  }
  device(d: BlockDevice): BlockDevice {
    return new Proxy(d, {
      get: (target, key) => {
        if (key === 'read' || key === 'write') return (b: Buffer, o: number, fua?: boolean) => (this.note(b.length), target[key](b, o, fua));
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }
  files(f: DurableFiles): DurableFiles {
    return {
      ...f,
      open: async (path, flags, mode) => {
        const h = await f.open(path, flags, mode);
        const wrapped: DurableFile = {
          read: (b, o, l, p) => (this.note(l), h.read(b, o, l, p)),
          write: (b, o, l, p) => (this.note(l), h.write(b, o, l, p)),
          writev: (bs, p) => (this.note(bs.reduce((n, x) => n + x.length, 0)), h.writev(bs, p)),
          writeFile: (d) => h.writeFile(d),
          truncate: (l) => h.truncate(l),
          datasync: () => h.datasync(),
          sync: () => h.sync(),
          stat: () => h.stat(),
          close: () => h.close(),
        };
        return wrapped;
      },
    };
  }
}

describe('memory', () => {
  it('bitmaps are at most volume / granularity / 8 bytes, and sparse ones much less', async () => {
    const lun = await openLun(SIZE, { granularity: G });
    try {
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      expect(lun.points.bitmapBytes(1)).toBe(0);
      // Every unit preserved once: the full bitmap.
      await lun.points.beforeOverwrite(0, SIZE);
      await lun.image.write(patterned(prng(1), SIZE), 0);
      expect(lun.points.bitmapBytes(1)).toBe(SIZE / G / 8);
      // A few scattered units: one 512-byte page each at most.
      await lun.points.take({ id: 2, at: 2, origin: 'pass' });
      for (const off of [0, 20 * 1024 * 1024, 40 * 1024 * 1024]) await lun.points.beforeOverwrite(off, G);
      expect(lun.points.bitmapBytes(2)).toBeLessThanOrEqual(3 * 512);
      expect(lun.points.list().map((p) => p.bytes)).toEqual([SIZE, 3 * G]);
    } finally {
      await lun.cleanup();
    }
  });

  it('no single read or write of point data exceeds 4 MiB', async () => {
    const lun = await openLun(SIZE, { granularity: G });
    const largest = new Largest();
    try {
      await lun.points.close();
      lun.points = await PointStore.open({ dir: join(lun.dir, 'disk.img.tandem'), image: largest.device(lun.image), files: largest.files(nodeFiles), logger: silentLogger });
      await lun.image.write(patterned(prng(2), SIZE), 0);
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      // A discard of the whole volume: every unit copied, in pieces.
      await lun.points.beforeOverwrite(0, SIZE);
      await lun.image.discard(0, SIZE);
      await lun.points.take({ id: 2, at: 2, origin: 'pass' });
      await lun.points.beforeOverwrite(0, SIZE / 2);
      await lun.image.write(patterned(prng(3), SIZE / 2), 0);
      await lun.points.exportTo(1, join(lun.dir, 'one.img'));
      await lun.points.prune(2); // its units move into point 1's store
      await lun.points.take({ id: 3, at: 3, origin: 'pass' });
      await lun.points.restore(1);
      expect(largest.io).toBeGreaterThan(0);
      expect(largest.io).toBeLessThanOrEqual(MAX_PIECE_BYTES);
      expect(MAX_PIECE_BYTES).toBe(4 * 1024 * 1024);
    } finally {
      await lun.cleanup();
    }
  });
});
