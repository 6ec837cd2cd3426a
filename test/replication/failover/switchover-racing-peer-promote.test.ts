/**
 * A switchover on the primary racing an admin's `tandem promote` on the backup. Once the
 * primary has drained and made itself a backup, the backup's promote finds its peer a backup
 * and promotes; the switchover's own PROMOTE then meets a primary and is refused. The
 * switchover took a refusal to mean "nothing changed on the peer" and made the old primary
 * a primary again beside the new one: two primaries, found only later as a split brain.
 * Now a refused switchover asks the peer's role before taking the primary role back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pair, syncedPair, writeChunks, PAIR_CHUNK } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe.each(['async', 'sync'] as const)('a switchover racing a promote on the peer (%s mirroring)', (flavour) => {
  it('the peer promoted by its admin is the only primary, and the pair mirrors again', async () => {
    pair = await syncedPair({ flavour });
    const { a, b } = pair;
    await writeChunks(a.device, [1, 2], 0x41);
    // The switchover's PROMOTE waits on the link until the peer's own promote has run.
    a.link.hold('replication-control');
    const switching = a.device.switchover().then(() => 'ok', (e: Error) => e.message);
    await pair.settle(() => a.device.status().role === 'backup');
    await b.device.promote(false);
    a.link.release();
    expect(await switching).toBe('ok');
    expect(a.device.status().role).toBe('backup');
    expect(b.device.status().role).toBe('primary');
    expect(await pair.tickUntil(() => b.device.status().state === 'continuous')).toBe(true);
    expect(a.device.status().binding.state).not.toBe('split-brain');
    expect(b.device.status().binding.state).not.toBe('split-brain');
    // Nothing acknowledged before the switchover is lost, and the new primary's writes reach the old one.
    await writeChunks(b.device, [3], 0x42);
    await pair.settle(() => b.device.status().journal.entries === 0);
    const image = await a.image();
    expect(image.equals(await b.image())).toBe(true);
    expect(image[PAIR_CHUNK]).toBe(0x41);
    expect(image[3 * PAIR_CHUNK]).toBe(0x42);
  });
});
