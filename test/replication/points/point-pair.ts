/**
 * A pair whose backup keeps recovery points as full copies, opened in the given mode and run
 * until it mirrors (continuous modes) or has finished its first pass (delta mode).
 */
import { expect } from 'vitest';
import type { ReplicatedDeviceOptions } from '../../../src/replication/replicated-device.js';
import { Pair } from '../paired-nodes.js';
import { FullCopyPoints } from './full-copy-points.js';

/** Opens the pair and adds it to `open` (the caller's list to close after each test). */
export async function openPointPair(open: Pair[], options: Partial<ReplicatedDeviceOptions>): Promise<{ pair: Pair; points: FullCopyPoints }> {
  const pair = new Pair();
  open.push(pair);
  const points = new FullCopyPoints(pair.b.store);
  pair.b.points = points;
  await pair.b.open('backup', options);
  await pair.a.open('primary', options);
  const ready = () => (options.mode === 'delta' ? pair.a.device.status().identity.replicaSynced && pair.a.device.status().dirtyChunks === 0 : pair.a.device.status().state === 'continuous');
  await pair.tickUntil(ready, 200, 61_000);
  expect(ready()).toBe(true);
  return { pair, points };
}
