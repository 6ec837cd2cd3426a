/**
 * Failure matrix 11: split brain. The link is cut both ways (a partition); the backup is
 * promoted with --force; both nodes take host writes. When the link comes back both
 * report `split-brain` and neither image changes (hashed before the link is restored and
 * again after both have reported it for several ticks). `tandem resolve --discard-local`
 * on one node (here the old primary): its image becomes the other's, whose writes are all
 * intact (its image is unchanged by the resolution). And an automatic policy:
 * `afterSplitBrain discard-zero-changes`, with writes on one side only (the forced
 * promotion diverged the other without changes), resolves without an operator.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { BACKUP_IQN, PRIMARY_IQN, hashFile, logEvents, report, sleep, switchedToDelta, type Cluster, type ServeChild } from './cluster.js';
import { pairPerTest } from './cluster-per-test.js';
import { HostWriter, missingWrites, shuffledSlots, type HostWriter as Writer } from './host-writer.js';
import type { ReplicationStatus } from '../../src/replication/status.js';

const SIZE = 16 * 1024 * 1024;
const SLOT = 16 * 1024;
/** How long both must keep reporting split brain, with nothing moving (several 1 s ticks). */
const WATCH_MS = 3_000;

const startPair = pairPerTest();

/** `count` acknowledged writes on `node`, to random 16 KiB slots of the first half of the volume. */
async function writeOn(node: ServeChild, iqn: string, count: number): Promise<Writer> {
  const writer = await HostWriter.start({ port: node.port, iqn, depth: 2, record: true, next: shuffledSlots(SIZE / 2 / SLOT, SLOT) });
  while (writer.stats.acked < count && writer.stats.errors.length === 0) await sleep(20);
  await writer.stop();
  expect(writer.stats.errors).toEqual([]);
  return writer;
}

/** Partition the pair and promote the backup with --force: two primaries, each on a history of its own. */
async function splitThePair(cluster: Cluster): Promise<{ detectedMs: number }> {
  await cluster.waitContinuous();
  await cluster.waitOn(cluster.backup, 'the backup on the primary\'s history', (s) => s.peer?.role === 'primary' && s.generations.current !== '', 15_000);
  const cutAt = Date.now();
  cluster.partition();
  await cluster.waitFor('the primary noticing the cut', switchedToDelta, 20_000, 50);
  const detectedMs = Date.now() - cutAt;
  const promote = await cluster.promote(cluster.backup, true);
  expect(promote.code, promote.stderr).toBe(0);
  return { detectedMs };
}

const diverged = (s: ReplicationStatus) => s.generations.current !== s.generations.bitmap;

test('11: partition, promote --force, writes on both: split-brain on both, no image changes; resolve --discard-local on one → identical to the other, its writes intact', async () => {
  const cluster = await startPair(SIZE);
  const a = cluster.primary!;
  const b = cluster.backup;
  for (const node of [a, b]) await cluster.configSet('healthyForMs', '500ms', node);
  const { detectedMs } = await splitThePair(cluster);

  const onA = await writeOn(a, PRIMARY_IQN, 100);
  const onB = await writeOn(b, BACKUP_IQN, 100);
  const [sa, sb] = [await cluster.status(a), await cluster.status(b)];
  expect(sa.role).toBe('primary');
  expect(sb.role).toBe('primary');
  // Each left the common history: the promotion, and the old primary's first write with its peer away.
  expect(diverged(sa), `old primary's generations ${JSON.stringify(sa.generations)}`).toBe(true);
  expect(diverged(sb), `promoted backup's generations ${JSON.stringify(sb.generations)}`).toBe(true);
  expect(sa.generations.bitmap).toBe(sb.generations.bitmap);
  const before = cluster.hashes();
  expect(before.primary).not.toBe(before.backup);

  const healedAt = Date.now();
  cluster.heal();
  const splitA = await cluster.waitOn(a, 'split brain reported by the old primary', (s) => s.state === 'split-brain', 30_000);
  const splitB = await cluster.waitOn(b, 'split brain reported by the promoted backup', (s) => s.state === 'split-brain', 30_000);
  const splitDetectedMs = Date.now() - healedAt;
  for (const [s, own, other] of [[splitA, sa, sb], [splitB, sb, sa]] as const) {
    expect(s.binding.state).toBe('split-brain');
    expect(s.splitBrain).toMatchObject({ common: own.generations.bitmap, localChangedBytes: own.dirtyBytes, peerChangedBytes: other.dirtyBytes, policy: 'disconnect' });
    expect(s.splitBrain!.localChangedBytes).toBeGreaterThan(0);
  }
  // Nothing moves while the pair is split: both images as they were, both still split, no data written on either link.
  await sleep(WATCH_MS);
  for (const [node, s] of [[a, splitA], [b, splitB]] as const) {
    const now = await cluster.status(node);
    expect(now.state).toBe('split-brain');
    expect(now.link.bytesWritten).toBe(s.link.bytesWritten);
  }
  expect(cluster.hashes()).toEqual(before);
  expect(cluster.proxy.counters.toTarget + cluster.reverseProxy!.counters.toTarget).toBeGreaterThan(0);

  // The operator keeps the promoted node's data: the old primary discards its own.
  const resolve = await cluster.resolveDiscardLocal(a);
  expect(resolve.code, resolve.stderr).toBe(0);
  const resolved = JSON.parse(resolve.stdout) as { luns: Array<{ role: string; discardedBytes: number }> };
  expect(resolved.luns[0]).toMatchObject({ role: 'backup', discardedBytes: sa.dirtyBytes });
  const resolvedAt = Date.now();
  const winner = await cluster.waitOn(b, 'the old primary resynchronised', (s) => s.state === 'continuous' && s.dirtyChunks === 0 && s.journal.entries === 0 && s.peer?.generations?.current === s.generations.current, 60_000);
  const resyncMs = Date.now() - resolvedAt;
  expect(winner.role).toBe('primary');
  expect((await cluster.status(a)).role).toBe('backup');
  const after = cluster.hashes();
  // The winner's image did not change; the loser's is now the same.
  expect(after.backup).toBe(before.backup);
  expect(after.primary).toBe(before.backup);
  expect(missingWrites(readFileSync(cluster.path('backup.img')), onB.acked)).toEqual([]);
  report('split brain, resolved by hand', {
    cutDetectedMs: detectedMs,
    splitBrainReportedMs: splitDetectedMs,
    changedBytes: { [PRIMARY_IQN]: sa.dirtyBytes, [BACKUP_IQN]: sb.dirtyBytes },
    discardedBytes: resolved.luns[0]!.discardedBytes,
    resyncMs,
    writesKept: onB.acked.length,
    writesDiscarded: onA.acked.length,
  });
});

test('11b: afterSplitBrain discard-zero-changes: the side without changes discards itself, no operator', async () => {
  const cluster = await startPair(SIZE, { afterSplitBrain: 'discard-zero-changes' });
  const a = cluster.primary!;
  const b = cluster.backup;
  for (const node of [a, b]) {
    await cluster.configSet('healthyForMs', '500ms', node);
    expect((await cluster.status(node)).afterSplitBrain).toBe('discard-zero-changes');
  }
  await splitThePair(cluster);
  // Only the old primary takes writes; the promoted backup diverged (a new generation) without any.
  const onA = await writeOn(a, PRIMARY_IQN, 100);
  const [sa, sb] = [await cluster.status(a), await cluster.status(b)];
  // Each left the common history: the promotion, and the old primary's first write with its peer away.
  expect(diverged(sa), `old primary's generations ${JSON.stringify(sa.generations)}`).toBe(true);
  expect(diverged(sb), `promoted backup's generations ${JSON.stringify(sb.generations)}`).toBe(true);
  expect(sb.dirtyBytes).toBe(0);
  const imageA = hashFile(cluster.path('primary.img'));

  const healedAt = Date.now();
  cluster.heal();
  const converged = await cluster.waitFor(
    'the pair back together on the old primary\'s history',
    (s) => s.state === 'continuous' && s.dirtyChunks === 0 && s.journal.entries === 0 && s.peer?.role === 'backup' && s.peer.generations?.current === s.generations.current,
    60_000,
  );
  const resolvedMs = Date.now() - healedAt;
  expect(converged.role).toBe('primary');
  expect((await cluster.status(b)).role).toBe('backup');
  // The promoted node judged itself the side to discard, and did.
  const split = logEvents(b, 'split-brain').pop();
  expect(split).toMatchObject({ policy: 'discard-zero-changes', victim: 'self', localChangedBytes: 0 });
  expect(logEvents(b, 'split-brain-resolved')).toHaveLength(1);
  expect(logEvents(a, 'split-brain-resolved')).toHaveLength(0);
  const after = cluster.hashes();
  expect(after.primary).toBe(imageA);
  expect(after.backup).toBe(imageA);
  expect(missingWrites(readFileSync(cluster.path('primary.img')), onA.acked)).toEqual([]);
  report('split brain, discard-zero-changes', { resolvedAndIdenticalMs: resolvedMs, changedBytesKept: sa.dirtyBytes });
});
