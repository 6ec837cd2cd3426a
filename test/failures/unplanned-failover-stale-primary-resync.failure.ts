/**
 * Failure matrix 9: unplanned failover. Asynchronous mirroring under a host write stream
 * over a slow link (entries journalled, not yet sent); SIGKILL the primary; `tandem
 * promote --force` on the backup; hosts write to it. The old primary restarts, finds its
 * peer ahead of it and is `stale`: a host write to it gets DATA PROTECT, it sends nothing.
 * `tandem demote` on it; the new primary resynchronises it — the union of both sides'
 * changed chunks since the common generation, compared by challenge, so only chunks that
 * differ move — and the images end identical.
 *
 * The bound on the wire (new primary → old primary, counted by the reverse proxy from the
 * demote to the end of the resync): 1.05 × union × chunk size + 64 bytes per challenged
 * chunk. The union is read independently of the engine's own bookkeeping: both change
 * maps (READ CHANGE MAP from this process) just before the demote, the new primary's
 * checked against the chunks this test wrote to it. The 5% covers iSCSI headers (48 bytes
 * per Data-Out PDU), staged-pass control and pings; 64 bytes per chunk covers its entry in
 * a CHALLENGE list (LBA, blocks, nonce) and that list's share of the PDU header.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { readChangeMap } from '../../src/initiator/replication-peer.js';
import { chunksOfBits } from '../../src/replication/delta-table.js';
import { DEFAULT_EXTENT_SIZE } from '../../src/replication/activity-log.js';
import { formatGeneration } from '../../src/replication/generations.js';
import { BACKUP_IQN, CHUNK, PRIMARY_IQN, hashFile, logEvents, report, sleep } from './cluster.js';
import { pairPerTest } from './cluster-per-test.js';
import { BLOCK, HostWriter, connectHost, isRefusedHere, missingWrites, shuffledSlots } from './host-writer.js';

const SIZE = 32 * 1024 * 1024;
const SLOT = 16 * 1024;
const SLOTS = SIZE / SLOT;
/** Per challenged chunk: its CHALLENGE list entry and a share of the list's PDU. */
const CHALLENGE_BYTES_PER_CHUNK = 64;
const WIRE_SLACK = 1.05;
/** Chunks in the last eighth, which no write reaches but these zero-filled ones. */
const SAME_CHUNKS = Array.from({ length: 16 }, (_, i) => SIZE / CHUNK - 32 + i);

const startPair = pairPerTest();

/** The chunks a node's change map marks (READ CHANGE MAP as a host), and the generation it is relative to. */
async function changeMap(port: number, iqn: string): Promise<{ base: string; chunks: Set<number> }> {
  // Not waiting for readiness: a stale primary's ALUA port is unavailable, TEST UNIT READY refused there.
  const session = await connectHost(port, iqn, false);
  try {
    const map = await readChangeMap(session, 0, SIZE / CHUNK);
    expect(map.chunkSize).toBe(CHUNK);
    return { base: formatGeneration(map.base), chunks: new Set(chunksOfBits(map.bits, map.chunkCount)) };
  } finally {
    await session.logout().catch(() => session.destroy());
  }
}

function chunksOf(writes: ReadonlyArray<{ offset: number; length: number }>): Set<number> {
  const out = new Set<number>();
  for (const w of writes) for (let c = Math.floor(w.offset / CHUNK); c * CHUNK < w.offset + w.length; c++) out.add(c);
  return out;
}

test('9: SIGKILL the primary, promote --force the backup, hosts write there; old primary restarts stale, demote → resync of the union only, identical', async () => {
  const cluster = await startPair(SIZE);
  const a = cluster.primary!;
  const b = cluster.backup;
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.configSet('healthyForMs', '500ms', b);
  await cluster.waitContinuous();
  await cluster.waitOn(b, 'the backup on the primary\'s history', (s) => s.generations.current !== '' && s.peer?.role === 'primary', 15_000);
  const common = (await cluster.status()).generations.current;

  // Slow, not failed: entries pile up in the journal while the flusher works through them.
  await cluster.configSet('maxRttMs', '60s');
  await cluster.configSet('maxWriteLatencyMs', '60s');
  cluster.proxy.setDelay(100);
  const writesFrom = Date.now();
  const before = await HostWriter.start({ port: a.port, depth: 4, record: true, next: (n) => ({ offset: (n % SLOTS) * SLOT, length: SLOT }), pauseMs: 2 });
  const flushing = await cluster.waitFor('pending journal entries', (s) => s.state === 'continuous' && s.journal.entries > 20 && before.stats.acked > 100, 20_000, 50);
  before.halt();
  await cluster.kill(a);
  await before.stop(false);
  expect(before.stats.errors).toEqual([]);
  cluster.proxy.restore();

  // Unplanned failover: the backup is promoted although its peer is gone.
  const promotedAt = Date.now();
  const promote = await cluster.promote(b, true);
  const promotedBy = Date.now();
  expect(promote.code, promote.stderr).toBe(0);
  // It says how recent its data is: the last write it applied from the old primary (the backup's
  // clock). Writes the dead primary had in flight — the proxy delays them 100 ms — may land until
  // the promotion takes effect, so the bound is the promotion's end, not its start.
  const promotion = (JSON.parse(promote.stdout) as { luns: Array<{ role: string; newestWriteAt?: number }> }).luns[0]!;
  expect(promotion.role).toBe('primary');
  expect(promotion.newestWriteAt).toBeGreaterThanOrEqual(writesFrom);
  expect(promotion.newestWriteAt).toBeLessThanOrEqual(promotedBy);
  const promoted = await cluster.status(b);
  expect(promoted.role).toBe('primary');
  expect(promoted.generations.bitmap).toBe(common);
  expect(promoted.generations.current).not.toBe(common);

  // Random slots over the first half of the volume...
  const after = await HostWriter.start({ port: b.port, iqn: BACKUP_IQN, depth: 4, record: true, next: shuffledSlots(SLOTS / 2, SLOT), pauseMs: 2 });
  while (after.stats.acked < 150 && after.stats.errors.length === 0) await sleep(50);
  await after.stop();
  expect(after.stats.errors).toEqual([]);
  // ...and zeroes over chunks nobody wrote: changed on the new primary, yet the same on both.
  const host2 = await connectHost(b.port, BACKUP_IQN);
  try {
    for (const c of SAME_CHUNKS) await host2.write16(0, (c * CHUNK) / BLOCK, Buffer.alloc(CHUNK));
  } finally {
    await host2.logout();
  }
  const writtenOnB = chunksOf(after.acked);
  const differingOnB = writtenOnB.size;
  for (const c of SAME_CHUNKS) writtenOnB.add(c);

  // The old primary comes back: its peer is ahead of it, so it fences itself.
  const aBytesBefore = cluster.proxy.counters.toTarget;
  cluster.reverseProxy!.resetCounters();
  const restarted = await cluster.restartPrimary();
  const staleAt = Date.now();
  const stale = await cluster.waitOn(restarted, 'the old primary stale', (s) => s.state === 'stale', 20_000);
  const staleDetectedMs = Date.now() - staleAt;
  expect(stale.role).toBe('primary');
  expect(stale.binding.state).toBe('stale');
  expect(stale.dirtyChunks).toBeGreaterThan(0); // the journal it had not sent, recovered at open
  expect(logEvents(restarted, 'replication-open').pop()).toMatchObject({ bind: 'stale' });
  // A stale primary's port group is unavailable (ALUA): a host write gets NOT READY, 04h/0Ch.
  const host = await connectHost(restarted.port, PRIMARY_IQN, false);
  let refusal: unknown;
  try {
    await host.write16(0, 0, Buffer.alloc(CHUNK, 0xa5));
  } catch (e) {
    refusal = e;
  } finally {
    await host.logout().catch(() => host.destroy());
  }
  expect(isRefusedHere(refusal), `host write to a stale primary: ${String(refusal)}`).toBe(true);
  expect(refusal).toMatchObject({ sense: { key: 0x02, asc: 0x04, ascq: 0x0c } });
  // A few ticks later it is still stale and has sent no data (only the state queries of its binding).
  await sleep(3_000);
  const stillStale = await cluster.status(restarted);
  expect(stillStale.state).toBe('stale');
  expect(stillStale.link.bytesWritten).toBe(0);
  expect(stillStale.lastPass).toBeUndefined();
  const sentWhileStale = cluster.proxy.counters.toTarget - aBytesBefore;
  expect(sentWhileStale).toBeLessThan(CHUNK);
  // Nor does the new primary write to a peer that is a primary itself: it waits for the demote.
  const waiting = await cluster.waitOn(b, 'the new primary waiting for its peer\'s demote', (s) => s.binding.state === 'waiting' && s.peer?.role === 'primary', 15_000);
  expect(waiting.link.bytesWritten).toBe(0);
  expect(cluster.reverseProxy!.counters.toTarget).toBeLessThan(CHUNK);

  // Both sides' changes since the common generation, from their own change maps.
  const mapA = await changeMap(restarted.port, PRIMARY_IQN);
  const mapB = await changeMap(b.port, BACKUP_IQN);
  expect(mapA.base).toBe(common);
  expect(mapB.base).toBe(common);
  expect([...mapB.chunks].sort((x, y) => x - y)).toEqual([...writtenOnB].sort((x, y) => x - y));
  // The old primary's marks are its activity log at the kill: the extents of writes it was
  // sent (acknowledged or still in flight), every chunk of each.
  const writtenOnA = chunksOf(Array.from({ length: before.issuedCount }, (_, n) => ({ offset: (n % SLOTS) * SLOT, length: SLOT })));
  const perExtent = DEFAULT_EXTENT_SIZE / CHUNK;
  const hotOnA = new Set([...writtenOnA].flatMap((c) => Array.from({ length: perExtent }, (_, i) => Math.floor(c / perExtent) * perExtent + i)));
  for (const c of mapA.chunks) expect(hotOnA.has(c), `chunk ${c} marked on the old primary`).toBe(true);
  const union = new Set([...mapA.chunks, ...mapB.chunks]);

  cluster.reverseProxy!.resetCounters();
  const demote = await cluster.demote(restarted);
  expect(demote.code, demote.stderr).toBe(0);
  const demotedAt = Date.now();
  const resynced = await cluster.waitOn(
    b,
    'the resync of the old primary',
    (s) => s.resync === undefined && s.binding.state === 'bound' && s.dirtyChunks === 0 && s.peer?.generations?.current === s.generations.current,
    60_000,
  );
  const wire = cluster.reverseProxy!.counters.toTarget;
  const resyncMs = Date.now() - demotedAt;
  const old = await cluster.status(restarted);
  expect(old.role).toBe('backup');
  expect(old.resyncTarget).toBe(false);
  expect(old.generations.current).toBe(resynced.generations.current);

  // The resync marked exactly the union, and moved only what differed.
  const start = logEvents(b, 'resync-start').pop()!;
  expect(start).toMatchObject({ why: 'peer-behind', full: false, dirtyChunks: union.size });
  const passes = logEvents(b, 'delta-pass').filter((p) => p.compare === true);
  const pass = passes.pop()! as { chunks: number; sentChunks: number; bytesSent: number };
  expect(pass.chunks).toBe(union.size);
  // The new primary's random writes differ from the old image; its zero-filled chunks do not.
  expect(pass.sentChunks).toBeGreaterThanOrEqual(differingOnB);
  expect(pass.sentChunks).toBeLessThanOrEqual(union.size - SAME_CHUNKS.length);
  const bound = WIRE_SLACK * union.size * CHUNK + CHALLENGE_BYTES_PER_CHUNK * union.size;
  // A differing chunk the old primary holds data in moves whole; one it holds nothing in moves only
  // its non-zero blocks (docs/replication.md, "First sync and resync by allocation"): at least what B's writes wrote.
  expect(wire).toBeGreaterThanOrEqual(new Set(after.acked.map((w) => w.offset)).size * SLOT);
  expect(wire).toBeLessThanOrEqual(bound);
  // Tighter: what moved is the differing chunks only, plus the challenge of every chunk of the union.
  expect(wire).toBeLessThanOrEqual(WIRE_SLACK * pass.sentChunks * CHUNK + CHALLENGE_BYTES_PER_CHUNK * union.size);

  await cluster.waitOn(b, 'continuous on the new primary', (s) => s.state === 'continuous' && s.journal.entries === 0 && s.dirtyChunks === 0, 30_000);
  const { primary: imageA, backup: imageB } = cluster.hashes();
  expect(imageA).toBe(imageB);
  // Every write the new primary acknowledged is there (on both, since they are identical).
  expect(missingWrites(readFileSync(cluster.path('backup.img')), after.acked)).toEqual([]);
  expect(hashFile(cluster.path('backup.img'))).toBe(imageB);

  report('unplanned failover', {
    ackedOnOldPrimary: before.acked.length,
    journalEntriesAtKill: flushing.journal.entries,
    ackedOnNewPrimary: after.acked.length,
    newestWriteBeforeKillMs: promotion.newestWriteAt! - before.acked[before.acked.length - 1]!.ackedAt,
    promoteToFirstWriteMs: after.acked[0]!.ackedAt - promotedAt,
    staleDetectedMs,
    sentWhileStaleBytes: sentWhileStale,
    unsentChunksOldPrimary: mapA.chunks.size,
    changedChunksNewPrimary: mapB.chunks.size,
    sameOnBothChunks: SAME_CHUNKS.length,
    unionChunks: union.size,
    sentChunks: pass.sentChunks,
    wireBytes: wire,
    unionBytes: union.size * CHUNK,
    wireOverUnion: Number((wire / (union.size * CHUNK)).toFixed(4)),
    boundBytes: Math.round(bound),
    wireOverSent: Number((wire / (pass.sentChunks * CHUNK)).toFixed(4)),
    resyncMs,
  });
});
