/**
 * A switchover whose PROMOTE or its answer is lost (a link blip, the peer restarting) just
 * after the old primary made itself a backup. It used to stop there, both nodes backups,
 * until an admin ran `tandem promote` on the peer. Now the old primary asks the peer's role
 * for a while: a primary took the PROMOTE, a backup is sent it again; only a peer that stays
 * unreachable leaves the switchover unconfirmed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pair, syncedPair, writeChunks, PAIR_CHUNK } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

/** The pair mirrors from b now, and holds what a acknowledged before the switchover and what b took since. */
async function mirrorsFromB(p: Pair): Promise<void> {
  const { a, b } = p;
  expect(a.device.status().role).toBe('backup');
  expect(b.device.status().role).toBe('primary');
  expect(await p.tickUntil(() => b.device.status().state === 'continuous')).toBe(true);
  await writeChunks(b.device, [3], 0x42);
  await p.settle(() => b.device.status().journal.entries === 0);
  const image = await a.image();
  expect(image.equals(await b.image())).toBe(true);
  expect(image[PAIR_CHUNK]).toBe(0x41);
  expect(image[3 * PAIR_CHUNK]).toBe(0x42);
}

describe.each(['async', 'sync'] as const)('a switchover whose PROMOTE is cut off (%s mirroring)', (flavour) => {
  it('a PROMOTE lost on the way is sent again once the link is back', async () => {
    pair = await syncedPair({ flavour });
    const { a } = pair;
    await writeChunks(a.device, [1, 2], 0x41);
    a.link.hold('replication-control');
    const switching = a.device.switchover().then(() => 'ok', (e: Error) => e.message);
    await pair.settle(() => a.device.status().role === 'backup');
    pair.partitioned = true;
    a.link.release();
    // Fails on the partition; the link comes back while the old primary still asks.
    await new Promise((r) => setTimeout(r, 500));
    pair.partitioned = false;
    expect(await switching).toBe('ok');
    await mirrorsFromB(pair);
  });

  it('a PROMOTE the peer took, whose answer was lost, is found taken', async () => {
    pair = await syncedPair({ flavour });
    const { a } = pair;
    await writeChunks(a.device, [1, 2], 0x41);
    a.link.loseAnswer('replication-control');
    expect(await a.device.switchover().then(() => 'ok', (e: Error) => e.message)).toBe('ok');
    await mirrorsFromB(pair);
  });

  it('a peer that stays unreachable leaves both nodes backups, and the promote the message names ends it', async () => {
    pair = await syncedPair({ flavour, promotionConfirmMs: 600 });
    const { a, b } = pair;
    await writeChunks(a.device, [1, 2], 0x41);
    a.link.hold('replication-control');
    const switching = a.device.switchover().then(() => 'ok', (e: Error) => e.message);
    await pair.settle(() => a.device.status().role === 'backup');
    pair.partitioned = true;
    a.link.release();
    expect(await switching).toMatch(/this node is now a backup, but the peer did not confirm its promotion .*run `tandem promote` there/);
    expect(b.device.status().role).toBe('backup');
    pair.partitioned = false;
    await b.device.promote(false);
    await mirrorsFromB(pair);
  });
});
