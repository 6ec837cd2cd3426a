/**
 * A recovery point of a target's two replicated LUNs is one instant of the primary's
 * acknowledged write order on both: a writer that updates LUN 0 and then LUN 1 with the
 * same counter never leaves a point where LUN 1 is ahead of LUN 0, or LUN 0 more than one
 * step ahead — in continuous async, continuous sync and delta mode. Each point's id is
 * above the last, its origin and label are kept, and the points are on the backup when
 * `createPoint` resolves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../sim-backup.js';
import { ConsistencyGroup } from '../../../src/replication/points/consistency-group.js';
import type { ReplicatedDeviceOptions } from '../../../src/replication/replicated-device.js';
import type { Pair } from '../paired-nodes.js';
import { openPointPair } from './point-pair.js';

const pairs: Pair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});

const pointPair = (options: Partial<ReplicatedDeviceOptions>) => openPointPair(pairs, options);

const counterAt = (image: Buffer): number => image.readUInt32BE(0);

describe.each([
  ['continuous async', { mode: 'continuous', flavour: 'async' }],
  ['continuous sync', { mode: 'continuous', flavour: 'sync' }],
  ['delta', { mode: 'delta' }],
] as const)('%s: points across two LUNs', (_name, options) => {
  it('are one instant of both LUNs, in id order, on the backup when created', async () => {
    const lun0 = await pointPair(options);
    const lun1 = await pointPair(options);
    const group = new ConsistencyGroup(
      [
        { lun: 0, volume: lun0.pair.a.device },
        { lun: 1, volume: lun1.pair.a.device },
      ],
      { target: 'iqn.test:group', clock: () => lun0.pair.clock.now, log: silentLogger },
    );
    let stop = false;
    const block = Buffer.alloc(4096);
    const writer = (async () => {
      for (let k = 1; !stop; k++) {
        block.writeUInt32BE(k, 0);
        await lun0.pair.a.device.write(Buffer.from(block), 0);
        await lun1.pair.a.device.write(Buffer.from(block), 0);
        // Memory stores answer in microtasks: let the point's own steps run between writes.
        await new Promise((r) => setImmediate(r));
      }
    })();
    const created = [];
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setImmediate(r));
      created.push(await group.createPoint(i % 2 === 0 ? 'manual' : 'scheduled', i % 2 === 0 ? `p${i}` : undefined));
    }
    stop = true;
    await writer;
    expect(created.map((c) => c.id)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const c of created) {
      const a = counterAt(lun0.points.images.get(c.id)!);
      const b = counterAt(lun1.points.images.get(c.id)!);
      expect(a - b, `point ${c.id}: LUN 0 at ${a}, LUN 1 at ${b}`).toBeGreaterThanOrEqual(0);
      expect(a - b, `point ${c.id}: LUN 0 at ${a}, LUN 1 at ${b}`).toBeLessThanOrEqual(1);
    }
    // The writer went on while points were taken: they are not all the same image.
    expect(new Set(created.map((c) => counterAt(lun0.points.images.get(c.id)!))).size).toBeGreaterThan(1);
    expect(lun0.points.list().map((p) => [p.id, p.origin, p.label])).toEqual(created.map((c, i) => [c.id, i % 2 === 0 ? 'manual' : 'scheduled', i % 2 === 0 ? `p${i}` : undefined]));
  });
});
