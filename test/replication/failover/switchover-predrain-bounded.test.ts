/**
 * A switchover ships most of the async backlog before it holds host writes, but only for a
 * while (5 s): over a link slower than the host's writes (or one whose send is stuck) the
 * shipper's loop never stops, and the switchover waited for it whole, so it never reached
 * its hold (the chaos soak's slow link: a `tandem switchover` that did not exit). Now it
 * holds the writes once the time is up, and drains the rest under the hold.
 */
import { afterEach, expect, it } from 'vitest';
import { AccessState } from '../../../src/replica-protocol/index.js';
import { Pair, syncedPair } from '../paired-nodes.js';

const BLOCK = 4096;

let pair: Pair | undefined;
afterEach(async () => pair?.close());

it('reaches its hold while the backlog still cannot be shipped, and loses no acknowledged write', { timeout: 30_000 }, async () => {
  pair = await syncedPair({ flavour: 'async' });
  const { a, b } = pair;
  // The backup takes nothing for now: the backlog stays, and the shipper's send waits.
  a.link.hold();
  const acked: number[] = [];
  for (let i = 0; i < 32; i++) {
    await a.device.write(Buffer.alloc(BLOCK, i + 1), i * BLOCK);
    acked.push(i);
  }
  const switched = a.device.switchover().then(() => 'ok', (e: Error) => e.message);
  const holding = () => a.device.portGroups().local.state === AccessState.TRANSITIONING;
  await pair.settle(holding, 15_000);
  // Still nothing shipped: the hold began because the predrain's time ran out.
  expect(b.device.role).toBe('backup');
  a.link.release();
  expect(await switched).toBe('ok');
  expect(b.device.role).toBe('primary');
  const image = await b.image();
  for (const i of acked) expect(image[i * BLOCK], `block ${i}`).toBe(i + 1);
});
