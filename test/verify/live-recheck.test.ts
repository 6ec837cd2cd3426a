/**
 * Verify of a running pair: what the scan found different is challenged again once the pair
 * has caught up, a few rounds, only what still differs; chunks the pair marks for its next
 * pass are reported apart. Found by hand: `tandem verify --control` under a steady host write
 * load reported ~1,000 of 4,096 chunks different on a pair in step (exit 1), every run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RECHECK_ROUNDS, recheckLive, type LivePair } from '../../src/verify/live-recheck.js';
import { PAIR_CHUNK, PAIR_VOLUME, Pair, syncedPair, writeChunks } from '../replication/paired-nodes.js';

const bytesOf = (chunk: number) => ({ offset: chunk * PAIR_CHUNK, length: PAIR_CHUNK });

describe('recheckLive', () => {
  it('keeps what differs in every round, drops what settles, sets marked chunks apart', async () => {
    // Chunk 2 differs once (a write in flight), 5 always (a real difference), 7 is marked by the pair, 9 differs for two rounds.
    let round = 0;
    const caughtUp: number[] = [];
    const pair: LivePair = { caughtUp: async () => void caughtUp.push(round), marked: (offset) => offset === 7 * PAIR_CHUNK };
    const challenged: number[][] = [];
    const result = await recheckLive([2, 5, 7, 9], pair, async (chunks) => {
      challenged.push([...chunks]);
      round++;
      return chunks.filter((c) => c === 5 || c === 7 || (c === 9 && round <= 2));
    }, bytesOf);
    expect(result).toEqual({ differing: [5], pending: [7], settled: 2 });
    // Every round challenges only what the one before left; 5 differs in all of them.
    expect(challenged).toHaveLength(RECHECK_ROUNDS);
    expect(challenged.slice(0, 3)).toEqual([[2, 5, 7, 9], [5, 9], [5, 9]]);
    expect(challenged.slice(3).every((c) => c.length === 1 && c[0] === 5)).toBe(true);
    // The pair is waited for before every round.
    expect(caughtUp).toEqual(Array.from({ length: RECHECK_ROUNDS }, (_, i) => i));
  });

  it('nothing found: no round, no wait', async () => {
    let waited = false;
    const result = await recheckLive([], { caughtUp: async () => void (waited = true), marked: () => false }, async () => [1], bytesOf);
    expect(result).toEqual({ differing: [], pending: [], settled: 0 });
    expect(waited).toBe(false);
  });
});

let pair: Pair | undefined;
afterEach(async () => pair?.close());

/** Which of `chunks` differ between the two images now (as the challenges would answer). */
function comparing(p: Pair): (chunks: readonly number[]) => Promise<number[]> {
  return async (chunks) => {
    const [a, b] = [await p.a.image(), await p.b.image()];
    return chunks.filter((c) => !a.subarray(c * PAIR_CHUNK, (c + 1) * PAIR_CHUNK).equals(b.subarray(c * PAIR_CHUNK, (c + 1) * PAIR_CHUNK)));
  };
}

const ALL_CHUNKS = Array.from({ length: PAIR_VOLUME / PAIR_CHUNK }, (_, i) => i);

describe('a running pair caught up before the recheck (ReplicatedDevice.verifyHooks)', () => {
  it('async: writes acknowledged and not yet shipped settle; a change behind the pair\'s back stays', async () => {
    pair = await syncedPair({ flavour: 'async' });
    const { a, b } = pair;
    a.link.hold();
    await writeChunks(a.device, [1, 2, 3], 0x77);
    await b.store.write(Buffer.alloc(4096, 0xee), 9 * PAIR_CHUNK);
    const found = await comparing(pair)(ALL_CHUNKS);
    expect(found).toEqual([1, 2, 3, 9]);
    // The backup takes the held writes a moment after the recheck begins to wait.
    setTimeout(() => a.link.release(), 20);
    const result = await recheckLive(found, a.device.verifyHooks(), comparing(pair), bytesOf);
    expect(result).toEqual({ differing: [9], pending: [], settled: 3 });
  });

  it('delta: what the table marks is pending, not differing', async () => {
    pair = await syncedPair({ flavour: 'async' });
    const { a } = pair;
    await a.device.setMode('delta');
    await writeChunks(a.device, [4, 6], 0x55);
    const found = await comparing(pair)(ALL_CHUNKS);
    expect(found).toEqual([4, 6]);
    const result = await recheckLive(found, a.device.verifyHooks(), comparing(pair), bytesOf);
    expect(result).toEqual({ differing: [], pending: [4, 6], settled: 0 });
  });
});
