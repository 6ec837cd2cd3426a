/**
 * Role changes on one node run one at a time, each checking what it may do once the one
 * before has finished. Issued together (two admins, a script retrying a switchover that
 * seemed to hang), two switchovers both passed their checks; the second, refused by the peer
 * the first had promoted, made the old primary a primary again beside it, and both went on
 * mirroring "continuously". Two forced promotions both diverged the generation and left two
 * controllers running.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

const outcomes = (settled: PromiseSettledResult<unknown>[]) => settled.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as Error).message));

describe.each(['async', 'sync'] as const)('role changes issued together (%s mirroring)', (flavour) => {
  it('two switchovers and a demote: one switchover runs, the others are refused, one primary', async () => {
    pair = await syncedPair({ flavour });
    const { a, b } = pair;
    await writeChunks(a.device, [1, 2], 0x41);
    const settled = await Promise.allSettled([a.device.switchover(), a.device.switchover(), a.device.demote()]);
    expect(outcomes(settled)).toEqual([
      'ok',
      'this node is not the primary: switchover runs on the primary',
      'this node is not the primary: demote applies to a primary',
    ]);
    await pair.tick(5_000);
    expect(a.device.status().role).toBe('backup');
    expect(b.device.status()).toMatchObject({ role: 'primary', state: 'continuous' });
    await writeChunks(b.device, [3], 0x42);
    await pair.settle(() => b.device.status().journal.entries === 0);
    expect((await a.image()).equals(await b.image())).toBe(true);
  });

  it('two forced promotions of a backup whose primary is lost: one promotes, the other is refused', async () => {
    pair = await syncedPair({ flavour });
    const { a, b } = pair;
    await writeChunks(a.device, [1], 0x41);
    a.crash();
    const before = b.device.status().generations.current;
    const settled = await Promise.allSettled([b.device.promote(true), b.device.promote(true)]);
    expect(outcomes(settled)).toEqual(['ok', 'this node is already the primary']);
    const promoted = settled[0] as PromiseFulfilledResult<{ generation: string }>;
    expect(promoted.value.generation).not.toBe(before);
    // One divergence from the common generation, the one the promotion reported.
    expect(b.device.status().generations).toMatchObject({ current: promoted.value.generation, bitmap: before });
  });
});
