/**
 * In continuous async mirroring a recovery point's instant is fixed without holding host
 * writes: a write still in progress (here: its local write stalled, as a write waits for a
 * queue spilling to its journal under load) does not delay the instant, and a write issued
 * after it completes at once. The point holds what was queued before its marker (the
 * stalled write included, as a write concurrent with the point may be) and nothing after.
 * Before, the point waited for every write in progress while holding new ones.
 */
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../sim-backup.js';
import { ConsistencyGroup } from '../../../src/replication/points/consistency-group.js';
import type { Pair } from '../paired-nodes.js';
import { openPointPair } from './point-pair.js';

const pairs: Pair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});

const BLOCK = 4096;
const block = (byte: number): Buffer => Buffer.alloc(BLOCK, byte);

it('a write in progress neither delays the instant nor holds the writes after it', async () => {
  const { pair, points } = await openPointPair(pairs, { mode: 'continuous', flavour: 'async' });
  const device = pair.a.device;
  await device.write(block(0x11), 0);

  // The primary's local write of block 1 stalls until released.
  const store = pair.a.store;
  const write = store.write.bind(store);
  let releaseStalled!: () => void;
  const stalled = new Promise<void>((r) => (releaseStalled = r));
  store.write = async (buf, offset, fua) => {
    if (offset === BLOCK) await stalled;
    return write(buf, offset, fua);
  };
  const inProgress = device.write(block(0x22), BLOCK);

  let instantFixed!: () => void;
  const fixed = new Promise<void>((r) => (instantFixed = r));
  const group = new ConsistencyGroup([{ lun: 0, volume: device }], {
    target: 'iqn.test:async-unheld',
    clock: () => pair.clock.now,
    log: silentLogger,
    hook: async (phase) => {
      if (phase === 'after') instantFixed();
    },
  });
  const created = group.createPoint('manual');
  await fixed;
  // After the instant: not held, though block 1's write is still in progress.
  await device.write(block(0x33), 2 * BLOCK);

  releaseStalled();
  await inProgress;
  const point = await created;
  expect(point.luns).toEqual([0]);
  const image = points.images.get(point.id)!;
  expect(image.subarray(0, BLOCK).equals(block(0x11))).toBe(true);
  expect(image.subarray(BLOCK, 2 * BLOCK).equals(block(0x22))).toBe(true);
  expect(image.subarray(2 * BLOCK, 3 * BLOCK).equals(Buffer.alloc(BLOCK))).toBe(true);
  // The backup gets the later write too, outside the point.
  const later = Buffer.alloc(BLOCK);
  await pair.settle(async () => {
    await pair.b.store.read(later, 2 * BLOCK);
    return later.equals(block(0x33));
  });
});
