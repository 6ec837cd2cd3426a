/**
 * The peer adopted this primary's history but the answer was lost (the connection dropped):
 * the primary stayed "diverged" for good, since a reconnect then finds both on one
 * generation and adopts nothing. A later link loss started no new history, so a backup
 * promoted by force was taken for merely ahead of it: the old primary was called stale, not
 * split, and its writes since the cut were given up by `demote`. The primary now completes
 * the adoption once it finds the peer on its generation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe('an ADOPT whose answer is lost', () => {
  it('the primary takes the peer as following once it finds it on its generation', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    pair.partitioned = true;
    await pair.tickUntil(() => a.device.status().state === 'delta');
    // Alone: the primary starts a new history.
    await writeChunks(a.device, [3], 0x33);
    const alone = a.device.status().generations;
    expect(alone.current).not.toBe(alone.bitmap);
    a.link.loseAdoptAnswer();
    pair.partitioned = false;
    await pair.tickUntil(() => b.device.status().generations.current === alone.current);
    await pair.tickUntil(() => a.device.status().state === 'continuous');
    const g = a.device.status().generations;
    expect(b.device.status().generations.current).toBe(g.current);
    // Following again: the next link loss starts a new history of its own.
    expect(g.bitmap).toBe(g.current);
  });
});
