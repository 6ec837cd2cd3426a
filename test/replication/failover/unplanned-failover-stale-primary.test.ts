/**
 * Unplanned failover at the engine level: the primary dies with journal entries it never
 * sent, the backup is promoted by force and takes writes; the old primary comes back
 * stale (it takes no host write, sends nothing), is demoted, and is resynchronised with
 * the union of both sides' changes since their common generation, and nothing else.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PAIR_CHUNK, Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe('unplanned failover', () => {
  it('stale old primary, demote, union resync, identical images', async () => {
    pair = await syncedPair({ flavour: 'async' });
    const { a, b } = pair;
    await writeChunks(a.device, [1, 2, 3], 0x11);
    await pair.settle(() => a.device.status().journal.entries === 0);
    const common = a.device.status().generations.current;

    // Acknowledged on the primary, never sent: the async recovery point.
    a.link.hold();
    await writeChunks(a.device, [4, 5], 0x22);
    expect(a.device.status().journal.entries).toBe(2);
    a.crash();
    a.link.release();

    const promoted = await b.device.promote(true);
    expect(b.device.status()).toMatchObject({ role: 'primary', generations: { bitmap: common } });
    expect(promoted.generation).not.toBe(common);
    await writeChunks(b.device, [5, 6, 7], 0x33);
    const bImage = await b.image();

    // The old primary restarts as what it last was: a primary, and finds its peer ahead.
    await a.open('primary');
    expect(a.device.status()).toMatchObject({ role: 'primary', state: 'stale', binding: { state: 'stale' } });
    expect(a.device.acceptsWrites(false)).toBe(false);
    expect(a.log.events('stale-primary')).toHaveLength(1);
    // The new primary sends nothing to a primary, stale or not.
    await pair.tick();
    expect(b.device.status().binding.state).toBe('waiting');
    expect(a.bytesReceived).toBe(0);
    expect((await b.image()).equals(bImage)).toBe(true);

    await a.device.demote();
    expect(a.device.status()).toMatchObject({ role: 'backup', generations: { current: common } });
    // Its own change map still marks what it wrote that the new primary never had (4, 5), with
    // the rest of its activity log at the crash (1-3: hot extents, written recently, cool only lazily).
    expect(a.device.status().dirtyChunks).toBe(5);
    await pair.tickUntil(() => b.device.status().state === 'continuous');
    expect(b.device.status().state).toBe('continuous');
    expect((await a.image()).equals(await b.image())).toBe(true);
    expect((await a.image()).equals(bImage)).toBe(true);
    // Only the union {4, 5} ∪ {5, 6, 7} moved: 5 (data on both, differing) whole; 6 and 7 (data only on
    // the new primary) as their one written block; 4 (a hole on the new primary) deallocated, not zeroed.
    expect(a.bytesReceived).toBe(PAIR_CHUNK + 2 * 4096);
    expect(a.bytesDiscarded).toBe(PAIR_CHUNK);
    expect(a.device.status()).toMatchObject({ generations: { current: b.device.status().generations.current }, dirtyChunks: 0, resyncTarget: false });
    expect(b.log.events('resync-end')).not.toHaveLength(0);
  });
});
