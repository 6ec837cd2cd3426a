/**
 * A delta pass: bring every chunk of the pass onto the backup (each once, however often it
 * was written), then clear the bits of chunks not written meanwhile. The chunks are read
 * from a point-in-time source (PassSnapshot), so the backup receives one consistent image.
 * Each chunk is planned by where data is allocated, here and on the backup (pass-plan.ts):
 * empty on both, nothing moves; data only here, it is sent; data only there, it is
 * deallocated there; on both, it is sent, or with `compare` (first sync, resync) challenged
 * first and sent only if the answers differ. With `staged`, the backup stages the pass
 * (writes and deallocations) and applies it at commit, all at once: a pass cut short leaves
 * it at the previous image.
 */
import { randomBytes } from 'node:crypto';
import { ChunkMoves, type PassCounts } from './chunk-moves.js';
import type { ChunkSet } from './chunk-set.js';
import type { DeltaTable } from './delta-table.js';
import { PassLink } from './pass-link.js';
import { PassPace } from './pass-pace.js';
import { PassPipeline } from './pass-pipeline.js';
import { PassPlanner, type PassSource } from './pass-plan.js';
import type { ReplicaLink } from './replica-link.js';

export type { PassSource } from './pass-plan.js';

export interface DeltaPassOptions {
  compare?: boolean;
  /** Stage the pass on the backup and commit it atomically (when the backup can). */
  staged?: boolean;
  /** Chunks challenged per challenge list (default 16). */
  batchChunks?: number;
  /** Chunks planned at a time: one window's allocation is asked together (default 1024). */
  windowChunks?: number;
  /** How much chunk data may be in flight, from the pace of the passes before (default: 8 MiB); this pass's pace is recorded in it. */
  pace?: PassPace;
  onProgress?: (doneChunks: number, totalChunks: number) => void;
}

export interface DeltaPassResult {
  chunks: number;
  /** Chunks with bytes sent (without a challenge, or because their answers differed); all-zero chunks sent onto nothing move no bytes and do not count. */
  sentChunks: number;
  bytesSent: number;
  durationMs: number;
  /** The backup applied the pass atomically at commit. */
  staged: boolean;
  /** Empty on both sides: nothing moved, the mark is cleared. */
  skippedChunks: number;
  /** Sent without a challenge: data only here, or a delta pass's changed chunk. */
  sentWithoutChallengeChunks: number;
  /** Deallocated on the backup: data only there. */
  unmappedChunks: number;
  /** Challenged: data on both sides in a first sync or resync (sent only if different). */
  challengedChunks: number;
  /** Allocation answers (GET LBA STATUS) asked of the backup. */
  allocationQueries: number;
}

/** Operations in flight at most (deallocations carry no data). */
const MAX_OPS = 32;

/**
 * Runs a pass over `chunks` (a window at a time, ascending), for which the caller has called
 * `table.beginCopy(chunks)` at the point in time `source` shows; this ends the copy either way.
 */
export async function runDeltaPass(
  table: DeltaTable,
  chunks: ChunkSet,
  source: PassSource,
  link: ReplicaLink,
  options: DeltaPassOptions = {},
): Promise<DeltaPassResult> {
  const started = performance.now();
  const compare = options.compare ?? false;
  const windowChunks = options.windowChunks ?? 1024;
  const counts: PassCounts = { sentChunks: 0, bytesSent: 0, skippedChunks: 0, sentWithoutChallengeChunks: 0, unmappedChunks: 0, challengedChunks: 0, stagedBytes: 0 };
  const passId = randomBytes(8).readBigUInt64BE(0);
  const pace = options.pace ?? new PassPace();
  const pipeline = new PassPipeline(pace, MAX_OPS);
  const planner = new PassPlanner(source, link, table.chunkSize, table.volumeSize, compare);
  let staged = false;
  const sent = new PassLink(link);
  try {
    staged = chunks.size > 0 && (options.staged ?? false) && (await link.beginPass(passId));
    const moves = new ChunkMoves(table, source, sent, staged, compare, options.batchChunks ?? 16, counts);
    let done = 0;
    for (const window of chunks.windows(windowChunks)) {
      if (await planner.allEmpty(window)) moves.skip(window[0]!, window.length);
      else await moves.start(window, await planner.plan(window), pipeline);
      done += window.length;
      options.onProgress?.(done, chunks.size);
    }
    await pipeline.drain();
    await sent.settled();
    // Its timeout grows with what the backup applies, zeroes and discards included, not only the data sent.
    if (staged) await link.commitPass(passId, counts.stagedBytes);
    else await link.flush();
  } catch (e) {
    // Nothing of this pass may still be on its way once it is given up.
    await pipeline.drain().catch(() => undefined);
    // A transfer fails at its first refused write, its others still in flight: they too.
    await sent.settled();
    // Best effort: the backup drops an open pass anyway at the next BEGIN or restart.
    if (staged) link.abortPass(passId).catch(() => undefined);
    table.endCopy(false);
    pace.observe(pipeline.movedBytes, pipeline.busyMs);
    throw e;
  }
  pace.observe(pipeline.movedBytes, pipeline.busyMs);
  table.endCopy(true);
  await table.persistAll();
  return { chunks: chunks.size, ...counts, allocationQueries: planner.replicaQueries, durationMs: performance.now() - started, staged };
}
