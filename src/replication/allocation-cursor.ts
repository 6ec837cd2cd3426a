/**
 * A forward walk over one side's allocation for a pass: whether any byte of each chunk is
 * allocated, for chunks asked in ascending order. The side is asked again only where the
 * extents of its last answer end before the chunk (or within it), so one answer (a GET LBA
 * STATUS of many extents, or one SEEK_DATA/SEEK_HOLE extent) covers every chunk in its reach.
 * Only that last answer is kept: memory does not grow with the volume.
 */
import type { AllocationExtent } from './replica-link.js';

/** One answer from `offset` (see ReplicaLink.allocation); undefined when the side cannot tell. */
export type AllocationSource = (offset: number, maxLength: number) => Promise<readonly AllocationExtent[] | undefined>;

const MAPPED = { done: true, mapped: true } as const;
const EMPTY = { done: true, mapped: false } as const;
const UNKNOWN = { done: true, mapped: undefined } as const;

export class AllocationCursor {
  private extents: readonly AllocationExtent[] = [];
  private index = 0;
  /** The side cannot tell (or answered nonsense): allocated everywhere for the rest of the walk. */
  private unknown = false;
  /** Answers asked for, for figures and tests. */
  queries = 0;

  constructor(
    private readonly source: AllocationSource,
    /** Bytes of the volume: nothing is asked beyond. */
    private readonly end: number,
  ) {}

  /**
   * For each chunk (ascending; chunk c is [c × chunkSize, (c+1) × chunkSize) clipped to the
   * volume): true when any byte of it is allocated, false when none is, undefined when the
   * side cannot tell.
   */
  async mappedChunks(chunks: readonly number[], chunkSize: number): Promise<Array<boolean | undefined>> {
    const out = new Array<boolean | undefined>(chunks.length);
    for (let i = 0; i < chunks.length; ) {
      const c = chunks[i]!;
      // A run of chunks inside one extent at hand shares its answer: a first sync skips a million empty chunks this way.
      const whole = this.unknown ? undefined : this.extentAt(c * chunkSize);
      if (whole && this.chunkEnd(c, chunkSize) <= whole.offset + whole.length) {
        const until = whole.offset + whole.length;
        do out[i++] = whole.mapped;
        while (i < chunks.length && this.chunkEnd(chunks[i]!, chunkSize) <= until);
        continue;
      }
      const stop = this.chunkEnd(c, chunkSize);
      // Most chunks are answered from the extents at hand: no await (a million chunks per pass is common).
      let at = c * chunkSize;
      for (let r = this.walk(at, stop); ; r = this.walk(at, stop)) {
        if (r.done) {
          out[i] = r.mapped;
          break;
        }
        at = r.at;
        await this.fetch(at);
      }
      i++;
    }
    return out;
  }

  /**
   * Whether no byte of [from, to) (at or after what was asked before) is allocated: false as
   * soon as one is, or when the side cannot tell. Whole windows of a thin volume's empty
   * chunks are skipped this way, without a step per chunk.
   */
  async emptyOver(from: number, to: number): Promise<boolean> {
    let at = from;
    const stop = Math.min(to, this.end);
    for (let r = this.walk(at, stop); ; r = this.walk(at, stop)) {
      if (r.done) return r.mapped === false;
      at = r.at;
      await this.fetch(at);
    }
  }

  private chunkEnd(chunk: number, chunkSize: number): number {
    return Math.min((chunk + 1) * chunkSize, this.end);
  }

  /** Whether any byte of [at, stop) is allocated, from the extents at hand; else where to ask from (an answer may end anywhere). */
  private walk(at: number, stop: number): { done: true; mapped: boolean | undefined } | { done: false; at: number } {
    while (at < stop) {
      if (this.unknown) return UNKNOWN;
      const e = this.extentAt(at);
      if (!e) return { done: false, at };
      if (e.mapped) return MAPPED;
      at = e.offset + e.length;
    }
    return EMPTY;
  }

  /** The extent of the last answer holding `at`, moving forward from the one found before. */
  private extentAt(at: number): AllocationExtent | undefined {
    const list = this.extents;
    if (this.index >= list.length || list[this.index]!.offset > at) this.index = 0;
    while (this.index < list.length) {
      const e = list[this.index]!;
      if (at < e.offset) return undefined;
      if (at < e.offset + e.length) return e;
      this.index++;
    }
    return undefined;
  }

  private async fetch(at: number): Promise<void> {
    this.queries++;
    const got = await this.source(at, this.end - at);
    // An answer must start at `at` and move forward without gaps; anything else is not trusted.
    if (!got || !contiguousFrom(got, at)) {
      this.unknown = true;
      return;
    }
    this.extents = got;
    this.index = 0;
  }
}

function contiguousFrom(extents: readonly AllocationExtent[], at: number): boolean {
  if (extents.length === 0) return false;
  let next = at;
  for (const e of extents) {
    if (e.offset !== next || !(e.length > 0)) return false;
    next = e.offset + e.length;
  }
  return true;
}
