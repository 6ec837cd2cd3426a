/**
 * What a node persists about its role and history: the role it last held wins over
 * --role at restart (and the difference is logged), a resync target keeps knowing it is
 * one across a crash, and a primary starts one new generation however many writes it
 * takes while its peer is away.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe('persisted roles and generations', () => {
  it('the role last held wins over --role at restart', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    await a.device.switchover();
    await b.device.close();
    b.crash();
    await b.open('backup');
    expect(b.device.status().role).toBe('primary');
    expect(b.log.events('role-persisted').at(-1)).toMatchObject({ role: 'primary', flag: 'backup' });
  });

  it('a resync target killed mid-resync still refuses a plain promote after restart, and the resync completes', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    pair.partitioned = true;
    await pair.tickUntil(() => a.device.status().state === 'delta');
    await writeChunks(a.device, [3, 4], 0x31);
    pair.partitioned = false;
    a.link.hold();
    const ticking = pair.tick();
    await pair.settle(() => b.device.status().resyncTarget);
    b.crash();
    a.link.release();
    await ticking;
    await b.open('backup');
    expect(b.device.status()).toMatchObject({ role: 'backup', resyncTarget: true });
    await expect(b.device.promote(false)).rejects.toThrow(/unfinished/);
    await pair.tickUntil(() => a.device.status().state === 'continuous' && !b.device.status().resyncTarget);
    expect((await b.image()).equals(await a.image())).toBe(true);
  });

  it('many writes while the peer is away start exactly one new generation, before the first is acknowledged', async () => {
    pair = await syncedPair();
    const { a } = pair;
    const before = a.device.status().generations.current;
    pair.partitioned = true;
    await pair.tickUntil(() => a.device.status().state === 'delta');
    expect(a.device.status().generations.current).toBe(before);
    await Promise.all([writeChunks(a.device, [1, 2], 1), writeChunks(a.device, [3], 2)]);
    const after = a.device.status().generations;
    expect(after.current).not.toBe(before);
    expect(after.bitmap).toBe(before);
    await writeChunks(a.device, [4, 5, 6], 3);
    expect(a.device.status().generations.current).toBe(after.current);
    expect(a.log.events('generation-change').filter((e) => e.reason === 'peer-away')).toHaveLength(1);
    // Back together: the peer adopts the new generation after the resync.
    pair.partitioned = false;
    await pair.tickUntil(() => a.device.status().state === 'continuous');
    expect(pair.b.device.status().generations.current).toBe(after.current);
    expect(a.device.status().generations.bitmap).toBe(after.current);
  });
});
