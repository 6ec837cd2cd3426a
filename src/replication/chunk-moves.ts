/**
 * What a pass does on the wire for the actions planned for its chunks (chunk-action.ts):
 * contiguous chunks sent in one WRITE (or STAGED WRITE), onto a replica region that holds
 * nothing without their zero blocks; contiguous chunks deallocated in one UNMAP (or staged
 * discard); chunks challenged in lists, the differing ones sent. Everything is started on
 * the pass's pipeline, so transfers overlap the planning of the next window.
 */
import { randomBytes } from 'node:crypto';
import { ioBufferPool } from '../util/buffer-pool.js';
import { answerForData, sharedAlgorithm } from '../verify/local-answers.js';
import { ChunkAction, type ChunkActionCode } from './chunk-action.js';
import type { DeltaTable } from './delta-table.js';
import { nonZeroRuns } from './nonzero-runs.js';
import type { PassPipeline } from './pass-pipeline.js';
import type { PassSource } from './pass-plan.js';
import type { PassMoves } from './pass-link.js';
import type { ChallengeExtent } from './replica-link.js';

/** One WRITE (or STAGED WRITE) carries at most this much of contiguous chunks. */
const MAX_SEND_BYTES = 1024 * 1024;
/** Zero runs are looked for in pieces this large (a file system block; a multiple of any LU block size we serve). */
const ZERO_GRANULE = 4096;

/** What a pass did, by kind (see DeltaPassResult). */
export interface PassCounts {
  sentChunks: number;
  bytesSent: number;
  skippedChunks: number;
  sentWithoutChallengeChunks: number;
  unmappedChunks: number;
  challengedChunks: number;
  /** Bytes the backup applies at a staged pass's commit: staged writes (zeroes included) and staged discards, which it may apply as zeroes. */
  stagedBytes: number;
}

export class ChunkMoves {
  constructor(
    private readonly table: DeltaTable,
    private readonly source: PassSource,
    private readonly link: PassMoves,
    private readonly staged: boolean,
    private readonly compare: boolean,
    private readonly batch: number,
    private readonly counts: PassCounts,
  ) {}

  /** Chunks per WRITE. */
  private get runChunks(): number {
    return Math.max(1, Math.floor(MAX_SEND_BYTES / this.table.chunkSize));
  }

  /** Chunks [first, first + count) are empty on both sides: nothing moves. */
  skip(first: number, count: number): void {
    this.source.release?.(first, count);
    this.counts.skippedChunks += count;
  }

  /** Starts what a window's actions ask for, on the pipeline (waiting only for room on it). */
  async start(window: readonly number[], actions: readonly ChunkActionCode[], pipeline: PassPipeline): Promise<void> {
    // One walk over the window (a first sync of a large volume plans a million chunks, most skipped).
    const by: number[][] = [[], [], [], [], []];
    for (let i = 0; i < window.length; i++) by[actions[i]!]!.push(window[i]!);
    const of = (action: ChunkActionCode) => by[action]!;
    for (const [first, count] of spans(of(ChunkAction.SKIP))) this.skip(first, count);
    for (const run of runs(of(ChunkAction.UNMAP), Number.MAX_SAFE_INTEGER)) await pipeline.add(0, () => this.unmap(run));
    for (const [action, ontoNothing] of [[ChunkAction.SEND, true], [ChunkAction.OVERWRITE, false]] as const) {
      for (const run of runs(of(action), this.runChunks)) {
        this.counts.sentWithoutChallengeChunks += run.length;
        await pipeline.add(this.bytesOf(run), () => this.send(run, ontoNothing));
      }
    }
    const challenged = of(ChunkAction.CHALLENGE);
    for (let at = 0; at < challenged.length; at += this.batch) {
      const group = challenged.slice(at, at + this.batch);
      await pipeline.add(this.bytesOf(group), () => this.challenge(group));
    }
  }

  private bytesOf(chunks: readonly number[]): number {
    return chunks.reduce((n, c) => n + this.table.chunkLength(c), 0);
  }

  /** Deallocates contiguous chunks on the backup; a backup that cannot stage that gets them as before. */
  private async unmap(run: readonly number[]): Promise<void> {
    const offset = run[0]! * this.table.chunkSize;
    const length = this.bytesOf(run);
    if (this.staged ? await this.stagedDiscard(offset, length) : (await this.link.discard(offset, length), true)) {
      this.counts.unmappedChunks += run.length;
      this.source.release?.(run[0]!, run.length);
      return;
    }
    // A backup from before staged discards: zeroes move there as they always did (challenged first in a resync).
    if (this.compare) {
      for (let at = 0; at < run.length; at += this.batch) await this.challenge(run.slice(at, at + this.batch));
    } else {
      this.counts.sentWithoutChallengeChunks += run.length;
      for (const piece of runs(run, this.runChunks)) await this.send(piece, false);
    }
  }

  /**
   * Contiguous chunks read from the pass's point in time, in one WRITE (or STAGED WRITE);
   * `ontoNothing`: the replica holds nothing there, so only the non-zero parts are written.
   */
  private async send(run: readonly number[], ontoNothing: boolean): Promise<void> {
    const cs = this.table.chunkSize;
    const offset = run[0]! * cs;
    // Pooled: a fresh megabyte per run cost a page fault and a zeroed page per 4 KiB read, and an unmap after.
    const lease = ioBufferPool.take(this.bytesOf(run));
    const data = lease.buffer;
    await this.source.read(run[0]!, data);
    const parts = ontoNothing ? await this.writeParts(data, offset, nonZeroRuns(data, this.zeroGranule)) : await this.overwrite(data, offset);
    // Only after every write has succeeded: a failed one may still sit in a dead connection's queue.
    lease.release();
    this.count(parts, run.length, cs);
  }

  /**
   * Writes `data` at `offset` over whatever the replica holds; a thin replica gets its zero
   * granules deallocated instead of written (they read as zeroes either way): a chunk the host
   * discarded in part while the link was down stays allocated in part there, as it is here.
   * Returns the ranges of `data` written.
   */
  private async overwrite(data: Buffer, offset: number): Promise<Array<[number, number]>> {
    if (this.link.thin !== true) {
      await this.write(data, offset);
      return [[0, data.length]];
    }
    const parts = nonZeroRuns(data, this.zeroGranule);
    await Promise.all([this.writeParts(data, offset, parts), ...gapsBetween(parts, data.length).map(([from, to]) => this.deallocate(data.subarray(from, to), offset + from))]);
    return parts;
  }

  /** Writes the `parts` ([from, to) ranges) of `data` at `offset`; returns them. */
  private async writeParts(data: Buffer, offset: number, parts: Array<[number, number]>): Promise<Array<[number, number]>> {
    await Promise.all(parts.map(([from, to]) => this.write(data.subarray(from, to), offset + from)));
    return parts;
  }

  /** Zeroes at `offset` on the replica, by deallocating there (staged into the pass when it is one). */
  private async deallocate(zeroes: Buffer, offset: number): Promise<void> {
    if (!this.staged) return this.link.discard(offset, zeroes.length);
    // A backup that cannot stage a discard gets the zeroes staged.
    if (!(await this.stagedDiscard(offset, zeroes.length))) await this.write(zeroes, offset);
  }

  /** A staged discard, counted as staged bytes when the backup takes it. */
  private async stagedDiscard(offset: number, length: number): Promise<boolean> {
    const taken = await this.link.stagedDiscard(offset, length);
    if (taken) this.counts.stagedBytes += length;
    return taken;
  }

  private get zeroGranule(): number {
    return Math.max(ZERO_GRANULE, this.link.blockSize);
  }

  /** Counts chunks of `chunkSize` (`chunks` of them) with bytes in `written` as sent, and those bytes; a chunk of zeroes only moved none. */
  private count(written: ReadonlyArray<[number, number]>, chunks: number, chunkSize: number): void {
    for (let i = 0; i < chunks; i++) if (written.some(([from, to]) => from < (i + 1) * chunkSize && to > i * chunkSize)) this.counts.sentChunks++;
    for (const [from, to] of written) this.counts.bytesSent += to - from;
  }

  /** Challenges `group` on the backup and sends the chunks whose answers differ from ours. */
  private async challenge(group: readonly number[]): Promise<void> {
    const cs = this.table.chunkSize;
    const datas = await Promise.all(
      group.map(async (c) => {
        const buf = Buffer.allocUnsafe(this.table.chunkLength(c));
        await this.source.read(c, buf);
        return buf;
      }),
    );
    this.counts.challengedChunks += group.length;
    const send = await differing(this.link, group.map((c, i) => ({ offset: c * cs, data: datas[i]! })));
    const written = await Promise.all(send.map((i) => this.overwrite(datas[i]!, group[i]! * cs)));
    for (const parts of written) this.count(parts, 1, cs);
  }

  private write(data: Buffer, offset: number): Promise<void> {
    if (!this.staged) return this.link.write(data, offset, false);
    this.counts.stagedBytes += data.length;
    return this.link.stagedWrite(data, offset);
  }
}

/** `chunks` (ascending) cut into runs of consecutive chunks, each at most `max` long. */
function runs(chunks: readonly number[], max: number): number[][] {
  const out: number[][] = [];
  for (const [first, count] of spans(chunks)) {
    for (let at = 0; at < count; at += max) out.push(Array.from({ length: Math.min(max, count - at) }, (_, i) => first + at + i));
  }
  return out;
}

/** The [from, to) ranges of [0, length) outside `runs` (ascending, not overlapping). */
export function gapsBetween(runs: ReadonlyArray<[number, number]>, length: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let at = 0;
  for (const [from, to] of runs) {
    if (from > at) out.push([at, from]);
    at = to;
  }
  if (at < length) out.push([at, length]);
  return out;
}

/** `chunks` (ascending) as [first, count] spans of consecutive chunks. */
function spans(chunks: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const c of chunks) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === c) last[1]++;
    else out.push([c, 1]);
  }
  return out;
}

/** Indexes of chunks whose challenge answer from the backup differs from ours. */
async function differing(link: PassMoves, chunks: ReadonlyArray<{ offset: number; data: Buffer }>): Promise<number[]> {
  const extents: ChallengeExtent[] = chunks.map((c) => ({ offset: c.offset, length: c.data.length, nonce: randomBytes(16) }));
  // The fastest digest both ends have (XXH3-128 over SHA-256): the backup's hashing bounds a resync.
  const algorithm = sharedAlgorithm(link.challengeAlgorithms);
  const answers = await link.challenge(extents, algorithm);
  const out: number[] = [];
  extents.forEach((e, i) => {
    const entry = { lba: BigInt(e.offset / link.blockSize), blocks: e.length / link.blockSize, nonce: e.nonce };
    const expected = answerForData(chunks[i]!.data, entry, algorithm);
    if (!expected.equals(answers[i]!)) out.push(i);
  });
  return out;
}
