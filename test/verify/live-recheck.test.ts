/**
 * Verify of a running pair: what the scan found different is challenged again once the pair
 * has caught up, and what still differs a last time with host writes held; chunks the pair
 * marks for its next pass are reported apart. Found by hand: `tandem verify --control` under a steady host write
 * load reported ~1,000 of 4,096 chunks different on a pair in step (exit 1), every run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HELD_CHUNKS, recheckLive, type LivePair } from '../../src/verify/live-recheck.js';
import { PAIR_CHUNK, PAIR_VOLUME, Pair, syncedPair, writeChunks } from '../replication/paired-nodes.js';

const bytesOf = (chunk: number) => ({ offset: chunk * PAIR_CHUNK, length: PAIR_CHUNK });

describe('recheckLive', () => {
  it('settles what the caught-up pair no longer differs in, checks the rest under a hold, sets marked chunks apart', async () => {
    // Chunk 2 differs only in the scan (a write in flight), 9 until the host's writes are held
    // (rewritten all the time), 5 always (a real difference), 7 is marked by the pair.
    const events: string[] = [];
    let held = false;
    const pair: LivePair = {
      caughtUp: async () => void events.push('caught-up'),
      holding: async (fn) => {
        events.push('hold');
        held = true;
        try {
          return await fn();
        } finally {
          held = false;
          events.push('release');
        }
      },
      marked: (offset) => offset === 7 * PAIR_CHUNK,
    };
    const result = await recheckLive([2, 5, 7, 9], pair, async (chunks) => {
      events.push(`challenge ${chunks.join(',')}${held ? ' held' : ''}`);
      return chunks.filter((c) => c === 5 || c === 7 || (c === 9 && !held));
    }, bytesOf);
    expect(result).toEqual({ differing: [5], pending: [7], settled: 2 });
    expect(events).toEqual(['caught-up', 'challenge 2,5,7,9', 'hold', 'challenge 5,9 held', 'release']);
  });

  it('many real differences (a backup changed wholesale) are checked HELD_CHUNKS at a time, each group under its own hold', async () => {
    const found = Array.from({ length: 2 * HELD_CHUNKS + 3 }, (_, i) => i * 2);
    let holds = 0;
    let held = false;
    const heldGroups: number[] = [];
    const pair: LivePair = {
      caughtUp: async () => undefined,
      holding: async (fn) => {
        holds++;
        held = true;
        try {
          return await fn();
        } finally {
          held = false;
        }
      },
      marked: () => false,
    };
    const result = await recheckLive(found, pair, async (chunks) => {
      if (held) heldGroups.push(chunks.length);
      return [...chunks];
    }, bytesOf);
    expect(result).toEqual({ differing: found, pending: [], settled: 0 });
    expect(holds).toBe(3);
    expect(heldGroups).toEqual([HELD_CHUNKS, HELD_CHUNKS, 3]);
  });

  it('nothing found: no wait, no hold; all settled: no hold', async () => {
    const events: string[] = [];
    const pair: LivePair = {
      caughtUp: async () => void events.push('caught-up'),
      holding: async (fn) => {
        events.push('hold');
        return fn();
      },
      marked: () => false,
    };
    expect(await recheckLive([], pair, async () => [1], bytesOf)).toEqual({ differing: [], pending: [], settled: 0 });
    expect(events).toEqual([]);
    expect(await recheckLive([3, 4], pair, async () => [], bytesOf)).toEqual({ differing: [], pending: [], settled: 2 });
    expect(events).toEqual(['caught-up']);
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
