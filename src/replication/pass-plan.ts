/**
 * Plans a pass window by window: for each chunk, where data is allocated at the pass's
 * point in time (PassSource.mapped) and on the replica (its GET LBA STATUS, through one
 * forward cursor for the whole pass), and so what the pass does with it (chunk-action.ts).
 * The replica is asked only where its answer matters: for every chunk of a first sync or
 * resync, and for the chunks of a delta pass that hold no data here.
 */
import { AllocationCursor } from './allocation-cursor.js';
import { chunkAction, needsReplica, type ChunkActionCode } from './chunk-action.js';
import type { ReplicaLink } from './replica-link.js';

/** Where a pass reads its chunks (the pass's point-in-time view), and what it holds. */
export interface PassSource {
  /** The consecutive chunks from `first` into `buf`, which spans them (the last one may be short: the volume's end). */
  read(first: number, buf: Buffer): Promise<void>;
  /**
   * Whether each of `chunks` (ascending, not read yet) held any data at the pass's point in
   * time. Absent: every chunk is taken to hold data.
   */
  mapped?(chunks: readonly number[]): Promise<boolean[]>;
  /**
   * Whether none of the chunks [first, first + count) (not read yet) held any data at the
   * pass's point in time; false when that is not known. Absent: planning goes chunk by chunk.
   */
  emptySpan?(first: number, count: number): Promise<boolean>;
  /** The pass will not read chunks [first, first + count). */
  release?(first: number, count: number): void;
}

export class PassPlanner {
  private readonly replica: AllocationCursor;

  constructor(
    private readonly source: PassSource,
    link: ReplicaLink,
    private readonly chunkSize: number,
    volumeSize: number,
    private readonly compare: boolean,
  ) {
    this.replica = new AllocationCursor((offset, maxLength) => link.allocation(offset, maxLength), volumeSize);
  }

  /** Allocation answers asked of the replica so far. */
  get replicaQueries(): number {
    return this.replica.queries;
  }

  /**
   * Whether every one of `chunks` (ascending, after those of earlier windows) is empty on
   * both sides, so skipped — asked of a window of consecutive chunks as a whole (a first sync
   * of a thin volume skips a million chunks; a step per chunk was most of its planning).
   */
  async allEmpty(chunks: readonly number[]): Promise<boolean> {
    const first = chunks[0];
    if (first === undefined || !this.source.emptySpan || chunks[chunks.length - 1]! - first !== chunks.length - 1) return false;
    if (!(await this.source.emptySpan(first, chunks.length))) return false;
    return this.replica.emptyOver(first * this.chunkSize, (first + chunks.length) * this.chunkSize);
  }

  /** The action for each of `chunks` (ascending, after those of earlier windows). */
  async plan(chunks: readonly number[]): Promise<ChunkActionCode[]> {
    const source = this.source.mapped ? await this.source.mapped(chunks) : chunks.map(() => true);
    const ask: number[] = [];
    for (let i = 0; i < chunks.length; i++) if (needsReplica(source[i]!, this.compare)) ask.push(chunks[i]!);
    const replica = await this.replica.mappedChunks(ask, this.chunkSize);
    const actions = new Array<ChunkActionCode>(chunks.length);
    for (let i = 0, k = 0; i < chunks.length; i++) {
      const held = source[i]!;
      actions[i] = chunkAction(held, needsReplica(held, this.compare) ? replica[k++] : true, this.compare);
    }
    return actions;
  }
}
