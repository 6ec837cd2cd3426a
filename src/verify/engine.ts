/**
 * The verify engine: challenges every chunk of the replica with a fresh 128-bit nonce,
 * in lists kept several deep per session, compares each answer with the reference's
 * (computed locally or by the source target), and optionally rewrites the chunks that
 * differ from the reference's bytes.
 */
import { randomBytes } from 'node:crypto';
import type { WireStats } from '../initiator/index.js';
import {
  ALGORITHM_DIGEST,
  ChallengeLimits,
  ENTRY_NONCE_BYTES,
  chooseChallengeAlgorithm,
  type ChallengeAlgorithmCode,
  type ChallengeDigestName,
  type ChallengeEntry,
} from '../replica-protocol/index.js';
import { UsageError } from '../util/usage-error.js';
import { forEachBounded } from './bounded.js';
import { differingEntries } from './compare.js';
import {
  chunkExtent,
  entriesPerList,
  mergeChunks,
  planBatches,
  planVolume,
  splitExtents,
  type Batch,
  type Extent,
  type VolumePlan,
} from './plan.js';
import type { Reference } from './reference.js';
import { LIST_ATTEMPTS, RemoteLun, lostWithConnection } from './remote-lun.js';
import { recheckLive, type LivePair } from './live-recheck.js';
import { AllocationView, withinHoles, type AllocationQuery } from './allocation.js';

export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Lists in flight per session; the C0h page's per-nexus limit caps it. */
export const DEFAULT_LIST_DEPTH = 6;
/** Largest single repair transfer, and how many run at once. */
export const REPAIR_IO_BYTES = 1024 * 1024;
export const REPAIR_CONCURRENCY = 4;

/** How far a verify has got, reported as it runs (the CLI draws it as a progress line). */
export interface ProgressSnapshot {
  bytesDone: number;
  bytesTotal: number;
  differing: number;
  elapsedMs: number;
}

export interface VerifyEngineOptions {
  reference: Reference;
  replica: RemoteLun;
  chunkBytes?: number;
  repair?: boolean;
  /** Lists in flight per session. */
  depth?: number;
  /** Entries per list (default: sized from the volume, within the target's limit). */
  entriesPerList?: number;
  /** Challenge with this algorithm (both ends must support it); default: the fastest both support. */
  algorithm?: ChallengeAlgorithmCode;
  onProgress?: (p: ProgressSnapshot) => void;
  /** The source is a running primary and the replica its backup: differences are checked again once it caught up (live-recheck.ts). */
  live?: LivePair;
  /** The replica's allocation another way than the verify's own session (a primary's replication link, which a backup answers). */
  replicaAllocation?: AllocationQuery;
}

export interface WireCounters {
  bytesSent: number;
  bytesReceived: number;
}

export interface VerifyReport {
  source: string;
  replica: string;
  volumeBytes: number;
  /** Bytes the replica holds past the source's end, not compared (a pair grown backup first). */
  replicaBeyondBytes: number;
  blockSize: number;
  chunkBytes: number;
  chunksChecked: number;
  /** Chunks not challenged: deallocated on both ends, so zeroes on both. */
  unallocatedChunks: number;
  /** The challenge algorithm used. */
  algorithm: ChallengeDigestName;
  differingChunks: number;
  /** Differing chunks, adjacent ones merged. */
  differing: Extent[];
  /** Verify of a running pair: what the scan found that was not counted in `differing`. */
  live?: {
    /** Differed in the scan, equal once the pair had caught up with the host's writes. */
    settledChunks: number;
    /** Marked by the pair for its next pass (known to differ), adjacent ones merged in `pending`. */
    pendingChunks: number;
    pending: Extent[];
  };
  bytesRepaired: number;
  durationMs: number;
  /** Initiator wire bytes per session: for the challenge phase, and in all (repair included). */
  wire: {
    replica: { verify: WireCounters; total: WireCounters };
    source?: { verify: WireCounters; total: WireCounters };
  };
}

function since(start: WireCounters, now: Readonly<WireStats>): WireCounters {
  return { bytesSent: now.bytesSent - start.bytesSent, bytesReceived: now.bytesReceived - start.bytesReceived };
}

function snapshot(stats: Readonly<WireStats>): WireCounters {
  return { bytesSent: stats.bytesSent, bytesReceived: stats.bytesReceived };
}

/**
 * A replica smaller than its source is the user's to fix (wrong pairing, not grown yet),
 * hence a usage error with both sizes; a larger one is compared over the source's extent.
 */
function checkSizes(reference: Reference, replica: RemoteLun): void {
  const blockSize = replica.blockSize;
  if (reference instanceof RemoteLun && reference.blockSize !== blockSize) {
    throw new UsageError(`source block size ${reference.blockSize} differs from replica block size ${blockSize}`);
  }
  if (reference.sizeBytes > replica.sizeBytes || reference.sizeBytes % blockSize !== 0) {
    throw new UsageError(
      `source is ${reference.sizeBytes} bytes but replica is ${replica.sizeBytes} bytes (${replica.totalBlocks} blocks of ${blockSize})`,
    );
  }
}

function algorithmNames(algorithms: readonly number[]): string {
  return algorithms.map((a) => (ALGORITHM_DIGEST as Record<number, string>)[a] ?? `algorithm ${a}`).join(', ') || 'none';
}

/** The forced algorithm if both ends support it (else a usage error naming the end), or the fastest both share. */
function pickAlgorithm(reference: Reference, replica: RemoteLun, forced: ChallengeAlgorithmCode | undefined): ChallengeAlgorithmCode {
  if (forced !== undefined) {
    for (const [what, end] of [['source', reference], ['replica', replica]] as const) {
      if (!end.algorithms.includes(forced)) {
        throw new UsageError(`--algorithm ${ALGORITHM_DIGEST[forced]}: ${what} ${end.describe} does not support it (it offers ${algorithmNames(end.algorithms)})`);
      }
    }
    return forced;
  }
  const shared = chooseChallengeAlgorithm(reference.algorithms, replica.algorithms);
  if (shared === undefined) {
    throw new Error(`source and replica share no challenge algorithm (source: ${algorithmNames(reference.algorithms)}; replica: ${algorithmNames(replica.algorithms)})`);
  }
  return shared;
}

/** Entries for `count` chunks, the i-th being chunk `chunkAt(i)`, each with a fresh nonce. */
function entriesFor(plan: VolumePlan, count: number, chunkAt: (i: number) => number): ChallengeEntry[] {
  const nonces = randomBytes(count * ENTRY_NONCE_BYTES);
  const entries: ChallengeEntry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const e = chunkExtent(plan, chunkAt(i));
    entries[i] = { lba: BigInt(e.lba), blocks: e.blocks, nonce: nonces.subarray(i * ENTRY_NONCE_BYTES, (i + 1) * ENTRY_NONCE_BYTES) };
  }
  return entries;
}

/** The batch's chunks that hold data on either end: those deallocated on both read as zeroes on both (allocation.ts). */
async function allocatedChunks(plan: VolumePlan, batch: Batch, views: readonly [AllocationView, AllocationView]): Promise<number[]> {
  const all = Array.from({ length: batch.chunkCount }, (_, i) => batch.firstChunk + i);
  const first = chunkExtent(plan, batch.firstChunk);
  const last = chunkExtent(plan, batch.firstChunk + batch.chunkCount - 1);
  const bs = plan.blockSize;
  const [a, b] = await Promise.all(views.map((v) => v.holes(first.lba * bs, (last.lba + last.blocks - first.lba) * bs)));
  if (a!.length === 0 || b!.length === 0) return all;
  return all.filter((c) => {
    const e = chunkExtent(plan, c);
    return !(withinHoles(a!, e.lba * bs, e.blocks * bs) && withinHoles(b!, e.lba * bs, e.blocks * bs));
  });
}

type Ends = { reference: Reference; replica: RemoteLun };

/**
 * Which chunks of one challenge list differ: both ends answer the same fresh entries. A list
 * lost with a dropped connection (at either end) is challenged again with entries drawn anew,
 * new nonces for both ends: a nonce once sent is never sent again, so no end can answer a
 * retry with an answer it worked out for the lost list. Both ends are done with a try (no
 * list of it still in flight, within the per-nexus limit) before the next goes out.
 */
async function differingInList(list: readonly number[], ends: Ends, plan: VolumePlan, algorithm: ChallengeAlgorithmCode): Promise<number[]> {
  for (let attempt = 1; ; attempt++) {
    const entries = entriesFor(plan, list.length, (i) => list[i]!);
    const [expected, actual] = await Promise.allSettled([ends.reference.answers(entries, algorithm), ends.replica.answers(entries, algorithm)]);
    if (expected.status === 'fulfilled' && actual.status === 'fulfilled') {
      return differingEntries(expected.value, actual.value, 0).map((i) => list[i]!);
    }
    const failures = [expected, actual].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const other = failures.find((e) => !lostWithConnection(e));
    if (other !== undefined || attempt >= LIST_ATTEMPTS) throw other ?? failures[0];
  }
}

/** Which of `chunks` (any, ascending) differ now: challenged in lists of `perList`, `depth` in flight. */
async function differingAmong(chunks: readonly number[], ends: Ends, plan: VolumePlan, algorithm: ChallengeAlgorithmCode, perList: number, depth: number): Promise<number[]> {
  const lists = Math.ceil(chunks.length / perList);
  const found: number[][] = new Array(lists);
  await forEachBounded(lists, depth, async (l) => {
    found[l] = await differingInList(chunks.slice(l * perList, (l + 1) * perList), ends, plan, algorithm);
  });
  return found.flat();
}

export async function verifyVolumes(options: VerifyEngineOptions): Promise<VerifyReport> {
  const { reference, replica } = options;
  const started = performance.now();
  checkSizes(reference, replica);
  const algorithm = pickAlgorithm(reference, replica, options.algorithm);
  const remoteSource = reference instanceof RemoteLun ? reference : undefined;
  const vpds = remoteSource ? [replica.vpd, remoteSource.vpd] : [replica.vpd];
  const maxExtent = Math.min(...vpds.map((v) => v.maxExtentBlocks));
  // The protocol's bound too: a page claiming more must not size our lists (and their memory).
  const maxEntries = Math.min(ChallengeLimits.MAX_ENTRIES_PER_LIST, ...vpds.map((v) => v.maxEntriesPerList));
  const depth = Math.max(1, Math.min(options.depth ?? DEFAULT_LIST_DEPTH, ...vpds.map((v) => v.maxListsPerNexus)));
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let plan: VolumePlan;
  try {
    plan = planVolume(reference.sizeBytes / replica.blockSize, replica.blockSize, chunkBytes, maxExtent);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const perList = Math.min(maxEntries, options.entriesPerList ?? entriesPerList(plan.chunkCount, depth, maxEntries));
  const batches = planBatches(plan.chunkCount, perList);

  const replicaStart = snapshot(replica.stats);
  const sourceStart = remoteSource ? snapshot(remoteSource.stats) : undefined;
  let differing: number[] = [];
  let bytesDone = 0;
  const volumeBytes = reference.sizeBytes;
  const progress = (): ProgressSnapshot => ({
    bytesDone,
    bytesTotal: volumeBytes,
    differing: differing.length,
    elapsedMs: performance.now() - started,
  });

  const views = [new AllocationView(reference.allocation, volumeBytes), new AllocationView(options.replicaAllocation ?? replica.allocation, volumeBytes)] as const;
  let unallocated = 0;
  await forEachBounded(batches.length, depth, async (b) => {
    const batch = batches[b]!;
    const chunks = await allocatedChunks(plan, batch, views);
    unallocated += batch.chunkCount - chunks.length;
    if (chunks.length > 0) for (const c of await differingInList(chunks, options, plan, algorithm)) differing.push(c);
    const last = chunkExtent(plan, batch.firstChunk + batch.chunkCount - 1);
    bytesDone += (last.lba + last.blocks - batch.firstChunk * plan.chunkBlocks) * plan.blockSize;
    options.onProgress?.(progress());
  });

  differing.sort((a, b) => a - b);
  const live = options.live && differing.length > 0
    ? await recheckLive(differing, options.live, (chunks) => differingAmong(chunks, options, plan, algorithm, perList, depth), (c) => {
        const e = chunkExtent(plan, c);
        return { offset: e.lba * plan.blockSize, length: e.blocks * plan.blockSize };
      })
    : undefined;
  // Reassigned, not spliced in: a spread of a million chunks overflows the call's arguments.
  if (live) differing = live.differing;
  const replicaVerify = since(replicaStart, replica.stats);
  const sourceVerify = remoteSource && sourceStart ? since(sourceStart, remoteSource.stats) : undefined;
  const extents = mergeChunks(plan, differing);

  let bytesRepaired = 0;
  if (options.repair && extents.length > 0) {
    const pieces = splitExtents(extents, Math.max(1, Math.floor(REPAIR_IO_BYTES / plan.blockSize)));
    await forEachBounded(pieces.length, REPAIR_CONCURRENCY, async (i) => {
      const piece = pieces[i]!;
      const data = await reference.read(piece);
      await replica.write(piece, data);
      bytesRepaired += data.length;
    });
    // One cache flush makes every repair durable, cheaper than FUA on each write.
    await replica.flush();
  }
  options.onProgress?.(progress());

  return {
    source: reference.describe,
    replica: replica.describe,
    volumeBytes,
    replicaBeyondBytes: replica.sizeBytes - volumeBytes,
    blockSize: plan.blockSize,
    chunkBytes: plan.chunkBlocks * plan.blockSize,
    chunksChecked: plan.chunkCount,
    algorithm: ALGORITHM_DIGEST[algorithm],
    unallocatedChunks: unallocated,
    differingChunks: differing.length,
    differing: extents,
    ...(options.live
      ? { live: { settledChunks: live?.settled ?? 0, pendingChunks: live?.pending.length ?? 0, pending: mergeChunks(plan, live?.pending ?? []) } }
      : {}),
    bytesRepaired,
    durationMs: Math.round(performance.now() - started),
    wire: {
      replica: { verify: replicaVerify, total: since(replicaStart, replica.stats) },
      ...(remoteSource && sourceStart && sourceVerify
        ? { source: { verify: sourceVerify, total: since(sourceStart, remoteSource.stats) } }
        : {}),
    },
  };
}
