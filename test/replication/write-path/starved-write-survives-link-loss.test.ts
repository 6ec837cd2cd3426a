/**
 * A write waiting for activity-log room waits for a confirmation of what holds the hot
 * extents; with the link down that confirmation fails, and only leaving continuous mirroring
 * (the fold marks what the backup may lack and frees the extents) makes room. The fold waited
 * for every continuous write to finish, that one included: the volume hung for good, every
 * later write with it. The waiting write now takes the delta path once the fold made room.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectIdentical, openHarness, reachContinuous, type Harness } from '../device-harness.js';
import { tempMetaDir } from '../temp-meta.js';
import { frozenAsyncPrimary, thawAndQuiesce } from './frozen-primary.js';

const B = 4096;
const EXTENT = 64 * 1024;
const ONE_EXTENT = { activityExtents: 1, activityExtentSize: EXTENT };

/** Settles within `ms` of real time, or reports that it has not. */
const within = (p: Promise<unknown>, ms: number): Promise<string> =>
  Promise.race([p.then(() => 'done'), new Promise<string>((r) => setTimeout(() => r('still waiting'), ms))]);

async function starveThenCut(h: Harness): Promise<void> {
  // Two extents held by writes not yet confirmed: the hard limit (twice the capacity) is reached.
  await h.device.write(Buffer.alloc(B, 1), 0);
  await h.device.write(Buffer.alloc(B, 2), EXTENT);
  h.link.cut = true;
  const starved = h.device.write(Buffer.alloc(B, 3), 2 * EXTENT);
  // The link's failure is found (a tick, or the shipper): the engine leaves continuous mirroring.
  for (let i = 0; i < 3; i++) await within(h.tick(), 500);
  expect(await within(starved, 10_000)).toBe('done');
  expect(h.device.status().state).toBe('delta');
  expect(await within(h.device.write(Buffer.alloc(B, 4), 3 * EXTENT), 10_000)).toBe('done');
  h.link.cut = false;
  for (let i = 0; i < 10 && h.device.status().state !== 'continuous'; i++) await h.tick(2000);
  expect(h.device.status().state).toBe('continuous');
  await expectIdentical(h);
}

describe('a write starved of activity-log room when the link fails', () => {
  afterEach(() => vi.useRealTimers());

  it('sync: completes by the delta path once the engine left continuous mirroring, and the pair converges', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'auto', flavour: 'sync', ...ONE_EXTENT });
    await reachContinuous(h);
    await starveThenCut(h);
    await h.device.close();
  });

  it('async: the same', async () => {
    const h = await frozenAsyncPrimary({ mode: 'auto', ...ONE_EXTENT });
    await starveThenCut(h);
    await thawAndQuiesce(h);
    await h.device.close();
  });
});
