/**
 * Host writes stream to the primary while a switchover runs beside another hold of host
 * writes (a recovery point's, a verify's recheck) that ends during the switchover's drain.
 * Every write the old primary acknowledged must be on the new primary: when the gate opened
 * at the end of the first hold, writes ran and were acknowledged during the drain, after
 * the last of the backlog had gone, and the new primary never got them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pair, PAIR_VOLUME, syncedPair } from '../paired-nodes.js';
import { AccessState } from '../../../src/replica-protocol/index.js';

const BLOCK = 512;
const SLOTS = PAIR_VOLUME / BLOCK;
const WRITERS = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe.each(['async', 'sync'] as const)('a switchover beside another hold (%s mirroring)', (flavour) => {
  it('every write the old primary acknowledged is on the new one', async () => {
    pair = await syncedPair({ flavour });
    const { a, b } = pair;
    const acked: number[] = [];
    let next = 0;
    let stop = false;
    // Each write its own block, filled with a byte of its slot number: what was acknowledged is exactly readable.
    const writer = async () => {
      while (!stop && next < SLOTS) {
        const slot = next++;
        try {
          // The LU's write guard, as a host's write meets it (DATA PROTECT on a backup).
          if (!a.device.acceptsWrites(false)) throw new Error('refused by the write guard');
          await a.device.write(Buffer.alloc(BLOCK, (slot % 255) + 1), slot * BLOCK);
          acked.push(slot);
        } catch {
          await sleep(1);
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, writer);
    await sleep(5);
    const transitioning = () => a.device.portGroups().local.state === AccessState.TRANSITIONING;
    const other = a.device.holding(async () => {
      while (!transitioning()) await sleep(0);
    });
    const switched = a.device.switchover();
    await other;
    await switched;
    stop = true;
    await Promise.all(writers);
    expect(a.device.role).toBe('backup');
    const image = await b.image();
    const missing = acked.filter((slot) => image[slot * BLOCK] !== (slot % 255) + 1);
    expect(acked.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});
