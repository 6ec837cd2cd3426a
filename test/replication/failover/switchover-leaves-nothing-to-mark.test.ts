/**
 * A switchover drains everything the host had acknowledged onto the peer, durably there;
 * the old primary then makes it durable on its own disk too and empties its activity log.
 * So a power loss of it, now a backup, finds its disk holding every acknowledged write and
 * its log nothing to mark. It used to keep the log's extents until it was a primary again,
 * each unclean restart meanwhile marking them for the new primary's compare passes (up to
 * the whole hot set, 4 GiB of reads on each node by default).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PowerLossFiles } from '../../support/power-loss-files.js';
import { PowerLossBlockStore } from '../../support/power-loss-store.js';
import { Pair, PAIR_CHUNK, PAIR_VOLUME, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe.each([
  ['async', 'continuous'],
  ['sync', 'continuous'],
  ['async', 'delta'],
] as const)('a power loss of the old primary after a switchover (%s, %s)', (flavour, mode) => {
  it('its disk holds every acknowledged write and its activity log nothing to mark', async () => {
    pair = new Pair();
    const { a, b } = pair;
    const files = new PowerLossFiles();
    await files.mkdir(a.metaDir);
    const disk = new PowerLossBlockStore({ size: PAIR_VOLUME, path: 'a' });
    a.store = disk;
    await b.open('backup', { flavour });
    await a.open('primary', { flavour, files });
    expect(await pair.tickUntil(() => a.device.status().state === 'continuous')).toBe(true);
    if (mode === 'delta') await a.device.setMode('delta', flavour);
    // Written without FUA or a flush: on a's disk only in its volatile cache.
    await writeChunks(a.device, [1, 2, 9], 0x41);
    expect(disk.volatileOps).toBeGreaterThan(0);
    await a.device.switchover();
    expect(b.device.status().role).toBe('primary');

    a.crash();
    a.store = disk.crash({ keep: 'none' });
    const survived = files.crash({ keep: 'none' });
    const image = await a.image();
    expect(image[PAIR_CHUNK]).toBe(0x41);
    expect(image.equals(await b.image())).toBe(true);
    await a.open('backup', { flavour, files: survived });
    expect(a.device.status().dirtyChunks).toBe(0);

    // The pair goes on from b with nothing to compare.
    expect(await pair.tickUntil(() => b.device.status().state === 'continuous' && b.device.status().dirtyChunks === 0)).toBe(true);
    await writeChunks(b.device, [3], 0x42);
    await pair.settle(() => b.device.status().journal.entries === 0);
    expect((await a.image()).equals(await b.image())).toBe(true);
  });
});
