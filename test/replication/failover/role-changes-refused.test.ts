/**
 * Role changes that are not allowed now answer with one line saying why (RoleChangeError),
 * and change nothing: promote while the peer is a reachable primary, while the peer cannot
 * be reached (without --force), or while this node's resync is unfinished; demote and
 * switchover on a backup; promote on a primary.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RoleChangeError } from '../../../src/replication/role-manager.js';
import { Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

async function refused(op: Promise<unknown>, why: RegExp): Promise<void> {
  const e = await op.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RoleChangeError);
  expect((e as Error).message).toMatch(why);
  expect((e as Error).message).not.toContain('\n');
}

describe('role changes refused', () => {
  it('promote while the peer is a reachable primary; then --force goes through', async () => {
    pair = await syncedPair();
    await refused(pair.b.device.promote(false), /the peer is a reachable primary: run `tandem demote` or `tandem switchover` on it first/);
    expect(pair.b.device.status().role).toBe('backup');
    await pair.b.device.promote(true);
    expect(pair.b.device.status().role).toBe('primary');
  });

  it('promote without --force while the peer is unreachable names --force and the writes held', async () => {
    pair = await syncedPair();
    pair.partitioned = true;
    await refused(pair.b.device.promote(false), /the peer is unreachable .*`tandem promote --force` promotes this node anyway, with the writes it holds up to/);
    expect(pair.b.device.status().role).toBe('backup');
  });

  it('promote without --force after the peer was demoted goes through', async () => {
    pair = await syncedPair();
    await pair.a.device.demote();
    await pair.b.device.promote(false);
    expect(pair.b.device.status().role).toBe('primary');
    await pair.tickUntil(() => pair!.b.device.status().state === 'continuous');
    expect(pair.b.device.status().state).toBe('continuous');
  });

  it('demote and switchover on a backup, promote on a primary', async () => {
    pair = await syncedPair();
    await refused(pair.b.device.demote(), /not the primary: demote applies to a primary/);
    await refused(pair.b.device.switchover(), /not the primary: switchover runs on the primary/);
    await refused(pair.a.device.promote(false), /already the primary/);
  });

  it('promote during an unfinished resync of this node is refused without --force', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    // b falls behind: a writes while b is away, then b's resync starts and is cut before its end.
    pair.partitioned = true;
    await pair.tickUntil(() => a.device.status().state === 'delta');
    await writeChunks(a.device, [1, 2, 3], 0x77);
    pair.partitioned = false;
    b.link.hold();
    a.link.hold();
    // The binding marks the resync and tells b (BEGIN RESYNC); the pass then stalls on the held link.
    const ticking = pair.tick();
    await pair.settle(() => b.device.status().resyncTarget);
    pair.partitioned = true;
    a.link.release();
    await ticking;
    await refused(b.device.promote(false), /resynchronisation from its peer is unfinished/);
    expect(b.device.status()).toMatchObject({ role: 'backup', resyncTarget: true });
    // The resync completes once the peer is back, and the flag goes with it.
    pair.partitioned = false;
    await pair.tickUntil(() => !b.device.status().resyncTarget && a.device.status().state === 'continuous');
    expect(b.device.status().resyncTarget).toBe(false);
    expect((await b.image()).equals(await a.image())).toBe(true);
  });
});
