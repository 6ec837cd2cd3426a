/**
 * Exporting a point of a large thin LUN costs what the point holds, not the volume's size.
 * Found by hand: a 4 TiB thin point holding 50 MiB took 12 minutes to export, zero-filling
 * and scanning 4 TiB of holes. Regions where the point reads zeroes for sure (a hole of the
 * live image no store holds) are now skipped without a read: here a 256 GiB LUN asks the
 * image for its allocation a few times, not once per 4 MiB piece (65,536 pieces), and the
 * export is still the point: its data, data the image discarded since (from the store),
 * and zeroes where the image has written over a hole since.
 */
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { discard, openLun, write } from './point-harness.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const SIZE = 256 * GiB;

function readAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

it('a thin point of a large LUN exports without walking its holes', async () => {
  const lun = await openLun(SIZE);
  try {
    const a = Buffer.alloc(MiB, 0xa1);
    const b = Buffer.alloc(MiB, 0xb2);
    await write(lun.points, lun.image, a, 0);
    await write(lun.points, lun.image, b, 100 * GiB);
    await lun.points.take({ id: 1, at: 1, origin: 'manual' });
    // The image moves on: over the point's data, its data discarded, data over a hole.
    await write(lun.points, lun.image, Buffer.alloc(64 * 1024, 0xc3), 0);
    await discard(lun.points, lun.image, 100 * GiB, MiB);
    await write(lun.points, lun.image, Buffer.alloc(MiB, 0xd4), 200 * GiB);

    const allocation = lun.image.allocation.bind(lun.image);
    let asked = 0;
    lun.image.allocation = (offset, length) => {
      asked++;
      return allocation(offset, length);
    };
    const path = join(lun.dir, 'point-1.img');
    const result = await lun.points.exportTo(1, path);

    expect(result).toEqual({ bytes: SIZE, allocatedBytes: 2 * MiB });
    expect(statSync(path).size).toBe(SIZE);
    expect(readAt(path, 0, MiB).equals(a)).toBe(true);
    expect(readAt(path, 100 * GiB, MiB).equals(b)).toBe(true);
    expect(readAt(path, 200 * GiB, MiB).equals(Buffer.alloc(MiB))).toBe(true);
    expect(asked).toBeLessThan(100);
  } finally {
    await lun.cleanup();
  }
}, 60_000);
