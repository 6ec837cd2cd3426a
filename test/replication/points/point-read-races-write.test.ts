/**
 * A reader of a point never sees a later write: a read of the live image on a point's
 * behalf that is slow to complete holds back the overwrite of its units (the copy-on-write
 * waits for it), so does an overlapping overwrite that comes after the first one's copy
 * made the units held, and a reader that arrives while a unit is being copied reads it from
 * the point's store once the copy is durable.
 */
import { describe, expect, it } from 'vitest';
import type { BlockDevice } from '../../../src/block/device.js';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { PointStore } from '../../../src/replication/points/point-store.js';
import { PowerLossFiles } from '../../support/power-loss-files.js';
import { silentLogger } from './point-harness.js';

const SIZE = 1024 * 1024;
const G = 4096;

/** An image whose reads can be held until released. */
class HeldReads {
  holding = false;
  private held: Array<() => void> = [];
  constructor(readonly store: MemoryBlockStore) {}
  device(): BlockDevice {
    return new Proxy(this.store, {
      get: (target, key) => {
        if (key === 'read') {
          return async (b: Buffer, o: number) => {
            if (this.holding) await new Promise<void>((r) => this.held.push(r));
            return target.read(b, o);
          };
        }
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }
  /** Lets the oldest held read go. */
  releaseFirst(): void {
    this.held.shift()?.();
  }
  release(): void {
    this.holding = false;
    for (const r of this.held.splice(0)) r();
  }
}

/** An image of all 1s whose reads can be held, and a store with point 1 taken of it. */
async function pointOnHeldImage() {
  const raw = new MemoryBlockStore({ size: SIZE });
  await raw.write(Buffer.alloc(SIZE, 1), 0);
  const image = new HeldReads(raw);
  const points = await PointStore.open({ dir: '/lun.tandem', image: image.device(), files: new PowerLossFiles(), logger: silentLogger });
  await points.take({ id: 1, at: 1, origin: 'pass' });
  return { raw, image, points };
}

/** A read of point 1's first 8 units whose reads of the image are held (until image.release()). */
async function heldPointRead(points: PointStore, image: HeldReads): Promise<{ got: Buffer; reading: Promise<void> }> {
  image.holding = true;
  const got = Buffer.alloc(8 * G);
  const reading = points.read(1, got, 0);
  await ticks(5);
  image.holding = false;
  return { got, reading };
}

/** The host overwrites units 2-3 as the engine does: copy-on-write, then the write. */
function overwrite(points: PointStore, raw: MemoryBlockStore): { done: Promise<void>; written: () => boolean } {
  let written = false;
  const done = (async () => {
    await points.beforeOverwrite(2 * G, 2 * G);
    await raw.write(Buffer.alloc(2 * G, 9), 2 * G);
    written = true;
  })();
  return { done, written: () => written };
}

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('a point read racing with a write', () => {
  it('holds the overwrite back until the read of the image is done', async () => {
    const { raw, image, points } = await pointOnHeldImage();
    const { got, reading } = await heldPointRead(points, image);
    // The host overwrites what the reader is reading.
    const writing = overwrite(points, raw);
    await ticks(20);
    expect(writing.written()).toBe(false);
    image.release();
    await Promise.all([reading, writing.done]);
    expect(writing.written()).toBe(true);
    expect(got.equals(Buffer.alloc(8 * G, 1))).toBe(true);
    await points.close();
  });

  it('an overlapping overwrite that finds the units held (another write copied them) waits for the read too', async () => {
    const { raw, image, points } = await pointOnHeldImage();
    const { got, reading } = await heldPointRead(points, image);
    // The first overwrite's copy-on-write copies units 2-3 and then waits for the read.
    const first = points.beforeOverwrite(2 * G, 2 * G);
    await ticks(20);
    // A second, overlapping one (writes the engine lets run together): the units are held now.
    const second = overwrite(points, raw);
    await ticks(20);
    expect(second.written()).toBe(false);
    image.release();
    await Promise.all([reading, first, second.done]);
    expect(second.written()).toBe(true);
    expect(got.equals(Buffer.alloc(8 * G, 1))).toBe(true);
    await points.close();
  });

  it('a reader arriving while a unit is copied reads it from the store afterwards', async () => {
    const { raw, image, points } = await pointOnHeldImage();
    // The copy's read of the old contents is held: the unit is claimed, not yet held.
    image.holding = true;
    let written = false;
    const writing = (async () => {
      await points.beforeOverwrite(0, G);
      await raw.write(Buffer.alloc(G, 9), 0);
      written = true;
    })();
    await ticks(5);
    // The reader comes now; its own reads of the image are held too.
    const got = Buffer.alloc(2 * G);
    const reading = points.read(1, got, 0);
    await ticks(5);
    // The copy goes on and the write lands while the reader still waits.
    image.releaseFirst();
    await writing;
    expect(written).toBe(true);
    image.release();
    await reading;
    expect(got.equals(Buffer.alloc(2 * G, 1))).toBe(true);
    await points.close();
  });
});
