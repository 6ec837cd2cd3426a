/**
 * A resync source reads its peer's change map as far as its own volume's chunks and no
 * further (the peer's claim of its map's size sizes nothing): all of it, up to the last
 * chunk. Here the stale old primary's unsent writes are in the volume's last chunks; once
 * demoted, the new primary must read them from its map to overwrite them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PAIR_CHUNK, PAIR_VOLUME, Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

const CHUNKS = PAIR_VOLUME / PAIR_CHUNK;

describe('the peer change map a resync reads', () => {
  it('covers every chunk of the local volume, the last one too', async () => {
    pair = await syncedPair({ flavour: 'async' });
    const { a, b } = pair;
    // Acknowledged on the primary, never sent: in the volume's last chunks.
    a.link.hold();
    await writeChunks(a.device, [CHUNKS - 2, CHUNKS - 1], 0x22);
    a.crash();
    a.link.release();
    await b.device.promote(true);
    await writeChunks(b.device, [1], 0x33);

    await a.open('primary');
    const read = vi.spyOn(b.link, 'readChangeMap');
    await a.device.demote();
    await pair.tickUntil(() => b.device.status().state === 'continuous');
    expect((await a.image()).equals(await b.image())).toBe(true);
    expect(read).toHaveBeenCalledWith(CHUNKS);
  });
});
