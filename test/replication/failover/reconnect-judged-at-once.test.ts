/**
 * A replica link that logged in again may have another peer behind it (a restarted process,
 * maybe on a blank disk): the engine leaves continuous mirroring at once, not up to a tick
 * later, so status never reports `continuous` over a peer it has not bound again. Found by
 * the chaos soak, whose convergence check caught the pair in that second.
 */
import { afterEach, expect, it } from 'vitest';
import { Pair } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

it('a reconnect folds continuous mirroring into delta without waiting for a tick', async () => {
  pair = new Pair();
  const { a, b } = pair;
  await b.open('backup');
  // Its own timer, an hour apart: only the reconnect can start a tick within this test.
  await a.open('primary', { tickMs: 3_600_000 });
  await pair.tickUntil(() => a.device.status().state === 'continuous');
  expect(a.device.status().state).toBe('continuous');

  a.link.reconnected();
  await pair.settle(() => a.device.status().state !== 'continuous', 10_000);
  const status = a.device.status();
  expect(status.state).toBe('delta');
  expect(status.lastSwitch?.reason).toBe('link-failed');
});
