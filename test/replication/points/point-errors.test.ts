/**
 * What the store refuses, each a PointError (a RangeError) of one clear line: an unknown
 * id, a pruned id, an id a restore dropped, a take whose id does not increase, a range
 * outside the volume, a bad label or origin, a closed store. A damaged catalogue is a
 * PointFormatError naming the file and what is wrong.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BlockDevice } from '../../../src/block/device.js';
import { PointError, PointFormatError, PointStore } from '../../../src/replication/points/point-store.js';
import { openLun, silentLogger, write } from './point-harness.js';

const SIZE = 1024 * 1024;

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error;
  }
  throw new Error('not refused');
}

function oneClearLine(e: Error, text: string): void {
  expect(e).toBeInstanceOf(PointError);
  expect(e).toBeInstanceOf(RangeError);
  expect(e.message).toBe(text);
  expect(e.message).not.toContain('\n');
}

describe('point store refusals', () => {
  it('unknown, pruned and dropped ids', async () => {
    const lun = await openLun(SIZE);
    try {
      const buf = Buffer.alloc(4096);
      oneClearLine(await refusal(lun.points.read(1, buf, 0)), 'no point 1: the store holds no points');
      for (const id of [1, 2, 3, 4, 5]) {
        await lun.points.take({ id, at: id, origin: 'pass' });
        await write(lun.points, lun.image, Buffer.alloc(4096, id), 0);
      }
      oneClearLine(await refusal(lun.points.read(9, buf, 0)), 'no point 9: the store holds 5 points, 1 to 5');
      oneClearLine(await refusal(lun.points.exportTo(9, join(lun.dir, 'x.img'))), 'no point 9: the store holds 5 points, 1 to 5');
      oneClearLine(await refusal(lun.points.prune(-1)), '-1 is not a point id (a non-negative integer)');
      await lun.points.prune(2);
      oneClearLine(await refusal(lun.points.read(2, buf, 0)), 'point 2 was pruned');
      oneClearLine(await refusal(lun.points.prune(2)), 'point 2 was pruned');
      oneClearLine(await refusal(lun.points.restore(2)), 'point 2 was pruned');
      await lun.points.restore(3);
      oneClearLine(await refusal(lun.points.read(4, buf, 0)), 'point 4 was dropped by a restore to an older point');
      oneClearLine(await refusal(lun.points.prune(5)), 'point 5 was dropped by a restore to an older point');
      await lun.points.prune(1);
      oneClearLine(await refusal(lun.points.read(1, buf, 0)), 'point 1 was pruned');
      oneClearLine(await refusal(lun.points.read(7, buf, 0)), 'no point 7: the store holds only point 3');
    } finally {
      await lun.cleanup();
    }
  });

  it('a take whose id does not increase, or that is malformed', async () => {
    const lun = await openLun(SIZE);
    try {
      await lun.points.take({ id: 10, at: 1, origin: 'pass' });
      oneClearLine(await refusal(lun.points.take({ id: 10, at: 2, origin: 'pass' })), 'cannot take point 10: point ids must increase, and point 10 was taken already');
      oneClearLine(await refusal(lun.points.take({ id: 3, at: 2, origin: 'pass' })), 'cannot take point 3: point ids must increase, and point 10 was taken already');
      await lun.points.prune(10);
      // A pruned id still counts: ids never go back.
      oneClearLine(await refusal(lun.points.take({ id: 10, at: 2, origin: 'pass' })), 'cannot take point 10: point ids must increase, and point 10 was taken already');
      oneClearLine(await refusal(lun.points.take({ id: 1.5, at: 2, origin: 'pass' })), 'cannot take point 1.5: an id is a non-negative integer');
      oneClearLine(await refusal(lun.points.take({ id: 11, at: Number.NaN, origin: 'pass' })), 'cannot take point 11: its time NaN is not an integer number of ms');
      oneClearLine(await refusal(lun.points.take({ id: 11, at: 2, origin: 'hourly' as 'pass' })), 'cannot take point 11: origin hourly is not one of pass, scheduled, manual');
      oneClearLine(await refusal(lun.points.take({ id: 11, at: 2, origin: 'manual', label: 'é'.repeat(600) })), 'cannot take point 11: its label is longer than 1024 bytes');
      await lun.points.take({ id: 11, at: 2, origin: 'manual', label: 'before the upgrade\nsecond line' });
      expect(lun.points.newest()).toEqual({ id: 11, at: 2, origin: 'manual', label: 'before the upgrade\nsecond line', bytes: 0 });
    } finally {
      await lun.cleanup();
    }
  });

  it('ranges outside the volume, and a closed store', async () => {
    const lun = await openLun(SIZE);
    try {
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      oneClearLine(await refusal(lun.points.read(1, Buffer.alloc(4096), SIZE - 512)), `range offset=${SIZE - 512} length=4096 is outside the ${SIZE}-byte volume`);
      oneClearLine(await refusal(() => lun.points.beforeOverwrite(SIZE, 1)), `range offset=${SIZE} length=1 is outside the ${SIZE}-byte volume`);
      oneClearLine(await refusal(() => lun.points.beforeOverwrite(-512, 512)), `range offset=-512 length=512 is outside the ${SIZE}-byte volume`);
      await lun.points.close();
      oneClearLine(await refusal(lun.points.take({ id: 2, at: 2, origin: 'pass' })), 'the point store is closed');
      oneClearLine(await refusal(lun.points.read(1, Buffer.alloc(512), 0)), 'the point store is closed');
      oneClearLine(await refusal(() => lun.points.beforeOverwrite(0, 512)), 'the point store is closed');
    } finally {
      await lun.cleanup();
    }
  });

  it('a damaged catalogue, a store file gone, a shrunk image: PointFormatError naming the file', async () => {
    const lun = await openLun(SIZE);
    const meta = join(lun.dir, 'disk.img.tandem');
    const catalogue = join(meta, 'points', 'catalogue');
    try {
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      await lun.points.close();
      // A shrunk image: only its size and path are read before the refusal, so a partial copy of the image's own fields stands in.
      const open = (size?: number) => PointStore.open({ dir: meta, image: size ? ({ ...lun.image, size } as unknown as BlockDevice) : lun.image, logger: silentLogger });

      const shrunk = await refusal(open(SIZE / 2));
      expect(shrunk).toBeInstanceOf(PointFormatError);
      expect(shrunk.message).toBe(`${lun.image.path}: the image is ${SIZE / 2} bytes, smaller than the ${SIZE}-byte volume its recovery points were taken of (a LUN can grow, not shrink)`);

      const good = readFileSync(catalogue);
      const flipped = Buffer.from(good);
      flipped[70]! ^= 1;
      writeFileSync(catalogue, flipped);
      const crc = await refusal(open());
      expect(crc).toBeInstanceOf(PointFormatError);
      expect((crc as PointFormatError).reason).toBe('crc');
      expect(crc.message).toBe(`${catalogue}: point catalogue: checksum mismatch`);

      writeFileSync(catalogue, good.subarray(0, 10));
      expect((await refusal(open())).message).toBe(`${catalogue}: point catalogue: 10 bytes, shorter than a catalogue header`);

      writeFileSync(catalogue, good);
      renameSync(join(meta, 'points', 's1.map'), join(meta, 'points', 'moved'));
      const missing = await refusal(open());
      expect(missing).toBeInstanceOf(PointFormatError);
      expect(missing.message).toBe(`${catalogue}: ${join(meta, 'points', 's1.map')}: missing, though the catalogue lists point 1 with it`);
      renameSync(join(meta, 'points', 'moved'), join(meta, 'points', 's1.map'));
      lun.points = await open();
      expect(lun.points.list().map((p) => p.id)).toEqual([1]);
    } finally {
      await lun.cleanup();
    }
  });
});
