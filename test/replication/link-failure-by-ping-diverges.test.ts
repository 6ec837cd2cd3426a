/**
 * Found by test/failures/split-brain-detected-and-resolved.failure.ts: a primary whose link
 * failure is noticed by a tick's ping (no write in flight) must stop counting its peer as
 * following, so its next change starts a new generation. Otherwise, after a forced
 * promotion of the peer, its writes are taken for a stale primary's rather than a split
 * brain, and `tandem demote` would discard them.
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { openHarness, reachContinuous } from './device-harness.js';
import { tempMetaDir } from './temp-meta.js';

test('a link failure seen only by the ping: the next write starts a new generation, and the replica is checked again', async () => {
  const h = await openHarness(tempMetaDir(), { mode: 'auto' });
  try {
    await reachContinuous(h);
    const before = h.device.status().generations;
    expect(before.current).toBe(before.bitmap);

    h.link.cut = true;
    await h.tick(1000);
    const cut = h.device.status();
    expect(cut.state).toBe('delta');
    expect(cut.lastSwitch).toMatchObject({ reason: 'link-failed' });
    expect(cut.binding.state).toBe('pending');

    await h.device.write(randomBytes(4096), 0);
    const after = h.device.status().generations;
    expect(after.bitmap).toBe(before.current);
    expect(after.current).not.toBe(before.current);
  } finally {
    await h.device.close();
  }
});
