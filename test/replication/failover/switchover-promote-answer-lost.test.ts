/**
 * A switchover whose PROMOTE or its answer is lost (a link blip, the peer restarting, the
 * old primary killed) just after the old primary made itself a backup. It used to stop
 * there, both nodes backups, until an admin ran `tandem promote` on the peer. Now the old
 * primary asks the peer's role for a while: a primary took the PROMOTE, a backup is sent it
 * again. A peer unreachable all that time leaves the switchover unconfirmed, and the old
 * primary, a backup handing over, asks again at each tick, across a restart too, until the
 * peer takes over, an admin promotes either node, or the peer refuses (it no longer holds
 * the history handed over).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BlockDevice } from '../../../src/block/device.js';
import { Pair, syncedPair, writeChunks, PAIR_CHUNK } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

/** The pair mirrors from b now, and holds what a acknowledged before the switchover and what b took since. */
async function mirrorsFromB(p: Pair): Promise<void> {
  const { a, b } = p;
  expect(a.device.status().role).toBe('backup');
  expect(b.device.status().role).toBe('primary');
  // In step: continuous with nothing marked (marks the old primary's restart recovered are passed over first).
  expect(await p.tickUntil(() => b.device.status().state === 'continuous' && b.device.status().dirtyChunks === 0)).toBe(true);
  await writeChunks(b.device, [3], 0x42);
  await p.settle(() => b.device.status().journal.entries === 0);
  const image = await a.image();
  expect(image.equals(await b.image())).toBe(true);
  expect(image[PAIR_CHUNK]).toBe(0x41);
  expect(image[3 * PAIR_CHUNK]).toBe(0x42);
}

/** `store` behind a flush that fails (EIO) while `failing`. */
function failingFlush(store: BlockDevice): { device: BlockDevice; failing: boolean } {
  const control = {
    failing: false,
    device: new Proxy(store, {
      get(target, prop) {
        if (prop === 'flush') return () => (control.failing ? Promise.reject(new Error('EIO: flush failed')) : target.flush());
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }),
  };
  return control;
}

describe.each(['async', 'sync'] as const)('a switchover whose PROMOTE is cut off (%s mirroring)', (flavour) => {
  /** A switchover whose PROMOTE leaves into a partition, once the old primary is a backup; resolves once it left, with how the switchover will end. */
  async function promoteIntoPartition(p: Pair): Promise<{ switching: Promise<string> }> {
    const { a } = p;
    await writeChunks(a.device, [1, 2], 0x41);
    a.link.hold('replication-control');
    const switching = a.device.switchover().then(() => 'ok', (e: Error) => e.message);
    await p.settle(() => a.device.status().role === 'backup');
    p.partitioned = true;
    a.link.release();
    return { switching };
  }

  it('a PROMOTE lost on the way is sent again once the link is back', async () => {
    pair = await syncedPair({ flavour });
    const { switching } = await promoteIntoPartition(pair);
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

  /** A switchover whose PROMOTE fails on a partition that outlasts the asking: both nodes backups, the old primary handing over. */
  async function unconfirmedSwitchover(p: Pair): Promise<void> {
    const { a, b } = p;
    expect(await (await promoteIntoPartition(p)).switching).toMatch(/this node is now a backup, but the peer did not confirm its promotion .*asks it again at every tick/);
    expect(b.device.status().role).toBe('backup');
    expect(a.device.status().handingOver).toBe(true);
  }

  it('a peer unreachable for longer than the switchover asks is handed over to once it answers', async () => {
    pair = await syncedPair({ flavour, promotionConfirmMs: 600 });
    const { a, b } = pair;
    await unconfirmedSwitchover(pair);
    await pair.tick();
    expect(b.device.status().role).toBe('backup');
    pair.partitioned = false;
    expect(await pair.tickUntil(() => b.device.status().role === 'primary')).toBe(true);
    expect(a.device.status().handingOver).toBe(false);
    expect(a.log.events('hand-over-finished')).toHaveLength(1);
    await mirrorsFromB(pair);
  });

  it('the promote the message names ends it at once, and the hand-over sees it done', async () => {
    pair = await syncedPair({ flavour, promotionConfirmMs: 600 });
    const { a, b } = pair;
    await unconfirmedSwitchover(pair);
    pair.partitioned = false;
    await b.device.promote(false);
    await mirrorsFromB(pair);
    expect(a.device.status().handingOver).toBe(false);
  });

  it('an admin who promotes the old primary back ends its hand-over: the peer stays its backup', async () => {
    pair = await syncedPair({ flavour, promotionConfirmMs: 600 });
    const { a, b } = pair;
    await unconfirmedSwitchover(pair);
    pair.partitioned = false;
    await a.device.promote(false);
    expect(a.device.status().handingOver).toBe(false);
    expect(await pair.tickUntil(() => a.device.status().state === 'continuous')).toBe(true);
    for (let i = 0; i < 3; i++) await pair.tick();
    expect(b.device.status().role).toBe('backup');
    expect((await b.image()).equals(await a.image())).toBe(true);
  });

  it('an old primary killed after making itself a backup hands over after its restart', async () => {
    pair = await syncedPair({ flavour });
    const { a, b } = pair;
    await writeChunks(a.device, [1, 2], 0x41);
    a.link.hold('replication-control');
    void a.device.switchover().catch(() => undefined);
    await pair.settle(() => a.device.status().role === 'backup');
    // Killed with its PROMOTE still unsent.
    a.crash();
    a.link.release();
    // The held PROMOTE fails with its node down (before the restart, or it would still go).
    await new Promise((r) => setTimeout(r, 20));
    expect(b.device.status().role).toBe('backup');
    await a.open('primary');
    // Drained, flushed, its activity log emptied: its restart marks nothing.
    expect(a.device.status()).toMatchObject({ role: 'backup', handingOver: true, dirtyChunks: 0 });
    expect(await pair.tickUntil(() => b.device.status().role === 'primary')).toBe(true);
    await mirrorsFromB(pair);
  });

  it('one whose disk failed the flush kept its activity log: its restart marks it, and the new primary passes those chunks over', async () => {
    pair = new Pair();
    const { a, b } = pair;
    const disk = failingFlush(a.store);
    await b.open('backup', { flavour });
    await a.open('primary', { flavour, local: disk.device });
    expect(await pair.tickUntil(() => a.device.status().state === 'continuous')).toBe(true);
    // In delta mode the final pass is the drain, and the flush after it the switchover's first.
    await a.device.setMode('delta', flavour);
    await writeChunks(a.device, [1, 2], 0x41);
    // A pass's clears have the image flushed (a failing flush fails the pass): copy them while the disk works.
    await a.device.replicateNow();
    disk.failing = true;
    a.link.hold('replication-control');
    void a.device.switchover().catch(() => undefined);
    await pair.settle(() => a.device.status().role === 'backup');
    expect(a.log.events('activity-log-kept')).toHaveLength(1);
    a.crash();
    a.link.release();
    await new Promise((r) => setTimeout(r, 20));
    await a.open('primary');
    expect(a.device.status()).toMatchObject({ role: 'backup', handingOver: true });
    expect(a.device.status().dirtyChunks).toBeGreaterThan(0);
    expect(await pair.tickUntil(() => b.device.status().role === 'primary')).toBe(true);
    // Promoted in step and mirroring continuously, it found the peer's marks: a pass takes them (peer-changes).
    expect(await pair.tickUntil(() => b.log.events('mode-switch').some((e) => e.reason === 'peer-changes'))).toBe(true);
    await mirrorsFromB(pair);
  });

  it('a peer that no longer holds the history handed over (its disk replaced) refuses: the hand-over ends, and an admin decides', async () => {
    pair = await syncedPair({ flavour, promotionConfirmMs: 600 });
    const { a, b } = pair;
    await unconfirmedSwitchover(pair);
    await b.device.close();
    b.replaceDisk();
    await b.open('backup');
    pair.partitioned = false;
    await pair.tickUntil(() => !a.device.status().handingOver);
    expect(a.device.status()).toMatchObject({ role: 'backup', handingOver: false });
    expect(b.device.status().role).toBe('backup');
    expect(a.log.events('hand-over-abandoned')).toHaveLength(1);
    // The admin's choice: the old primary serves again and fills the new disk.
    await a.device.promote(false);
    expect(await pair.tickUntil(() => a.device.status().state === 'continuous')).toBe(true);
    expect((await b.image()).equals(await a.image())).toBe(true);
  });
});
