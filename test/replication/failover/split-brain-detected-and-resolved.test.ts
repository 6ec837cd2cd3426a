/**
 * Split brain at the engine level: partitioned, the backup promoted by force, both take
 * writes; when the network heals both see split brain and no data moves in either
 * direction until one node runs resolve --discard-local, after which it holds the other's
 * image and the other's writes are all intact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PAIR_CHUNK, Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

async function splitBrain(): Promise<Pair> {
  const p = await syncedPair();
  p.partitioned = true;
  await p.tickUntil(() => p.a.device.status().state === 'delta');
  await p.b.device.promote(true);
  await writeChunks(p.a.device, [1, 2], 0xaa);
  await writeChunks(p.b.device, [2, 3, 4], 0xbb);
  return p;
}

describe('split brain', () => {
  it('is detected by both nodes, moves nothing, and ends with resolve --discard-local', async () => {
    pair = await splitBrain();
    const { a, b } = pair;
    const before = { a: await a.image(), b: await b.image() };
    expect(a.device.status().generations.current).not.toBe(b.device.status().generations.current);
    pair.partitioned = false;
    await pair.tickUntil(() => a.device.status().state === 'split-brain' && b.device.status().state === 'split-brain');
    for (let i = 0; i < 5; i++) await pair.tick();
    const sa = a.device.status();
    expect(sa).toMatchObject({ state: 'split-brain', splitBrain: { localChangedBytes: 2 * PAIR_CHUNK, peerChangedBytes: 3 * PAIR_CHUNK } });
    expect(b.device.status()).toMatchObject({ state: 'split-brain', splitBrain: { localChangedBytes: 3 * PAIR_CHUNK, peerChangedBytes: 2 * PAIR_CHUNK } });
    expect(sa.splitBrain?.common).toBe(b.device.status().splitBrain?.common);
    expect((await a.image()).equals(before.a)).toBe(true);
    expect((await b.image()).equals(before.b)).toBe(true);
    expect(a.bytesReceived + b.bytesReceived).toBe(0);
    expect(a.log.events('split-brain')).toHaveLength(1);
    expect(b.log.events('split-brain')).toHaveLength(1);

    const { discardedBytes } = await a.device.resolveDiscardLocal();
    expect(discardedBytes).toBe(2 * PAIR_CHUNK);
    expect(a.device.status().role).toBe('backup');
    await pair.tickUntil(() => b.device.status().state === 'continuous');
    expect((await a.image()).equals(before.b)).toBe(true);
    expect((await b.image()).equals(before.b)).toBe(true);
    // The union {1, 2} ∪ {2, 3, 4} moved, nothing else: 2 (data on both, differing) whole; 3 and 4 (data
    // only on b) as their one written block; 1 (a hole on b) deallocated, not zeroed.
    expect(a.bytesReceived).toBe(PAIR_CHUNK + 2 * 4096);
    expect(a.bytesDiscarded).toBe(PAIR_CHUNK);
  });

  it('resolve refuses on a node that is not in split brain', async () => {
    pair = await syncedPair();
    await expect(pair.a.device.resolveDiscardLocal()).rejects.toThrow(/not in split brain/);
  });

  it.each([
    ['discard-zero-changes', 'a'],
    ['discard-least-changes', 'a'],
    ['discard-younger-primary', 'b'],
  ] as const)('afterSplitBrain %s resolves it without an operator (node %s gives way)', async (policy, loser) => {
    pair = await syncedPair({ afterSplitBrain: policy });
    const { a, b } = pair;
    pair.partitioned = true;
    await pair.tickUntil(() => a.device.status().state === 'delta');
    // a's one write makes it diverge (a split brain); with none it is merely stale, and gives way when it changed nothing.
    if (policy !== 'discard-zero-changes') await writeChunks(a.device, [1], 0xaa);
    pair.clock.now += 5000;
    await b.device.promote(true);
    await writeChunks(b.device, [2, 3], 0xbb);
    const winner = loser === 'a' ? b : a;
    const loserNode = loser === 'a' ? a : b;
    const winnerImage = await winner.image();
    pair.partitioned = false;
    await pair.tickUntil(() => loserNode.device.status().role === 'backup' && winner.device.status().state === 'continuous');
    expect(loserNode.device.status().role).toBe('backup');
    expect((await loserNode.image()).equals(winnerImage)).toBe(true);
    if (policy === 'discard-zero-changes') expect(loserNode.log.events('stale-primary-demoted')).toHaveLength(1);
    else expect(loserNode.log.events('split-brain').at(-1)).toMatchObject({ policy, victim: 'self' });
  });
});
