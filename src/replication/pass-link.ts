/**
 * The replica link as one pass uses it, with every operation the pass started known until it
 * settles. A STAGED WRITE carries no pass identifier (C5h has no room for one): the backup
 * stages it into the pass that was open when it arrived (and refuses it if another pass was
 * opened before it could be staged). A chunk's writes go out together, and one refused fails
 * the chunk's transfer while the others may still be on their way (a reconnect re-sends
 * them); the pass must not end, and the next one open on the backup, before they have all
 * settled.
 *
 * Only what ChunkMoves uses goes through here (PassMoves): the four operations that change
 * the backup (write, stagedWrite, discard, stagedDiscard) and challenge, each tracked; the
 * link's plain properties are read through.
 */
import { InflightCounter } from '../util/inflight-counter.js';
import type { ReplicaLink, WriteData } from './replica-link.js';

/** What a pass's chunk moves use of the replica link. */
export type PassMoves = Pick<ReplicaLink, 'blockSize' | 'thin' | 'challengeAlgorithms' | 'write' | 'discard' | 'challenge' | 'stagedWrite' | 'stagedDiscard'>;

export class PassLink implements PassMoves {
  // A count, not a Set of the operations: a Set whose entries come and go rebuilds its table, and
  // once one is old, dead tables keep later entries alive through young collections (docs/performance.md).
  private readonly inFlight = new InflightCounter();

  constructor(private readonly inner: ReplicaLink) {}

  get blockSize(): number {
    return this.inner.blockSize;
  }

  get thin(): boolean | undefined {
    return this.inner.thin;
  }

  get challengeAlgorithms(): readonly number[] | undefined {
    return this.inner.challengeAlgorithms;
  }

  write(data: WriteData, offset: number, durable: boolean, ordered?: boolean): Promise<void> {
    return this.track(ordered === undefined ? this.inner.write(data, offset, durable) : this.inner.write(data, offset, durable, ordered));
  }

  stagedWrite(data: Buffer, offset: number): Promise<void> {
    return this.track(this.inner.stagedWrite(data, offset));
  }

  discard(offset: number, length: number): Promise<void> {
    return this.track(this.inner.discard(offset, length));
  }

  stagedDiscard(offset: number, length: number): Promise<boolean> {
    return this.track(this.inner.stagedDiscard(offset, length));
  }

  challenge(...args: Parameters<ReplicaLink['challenge']>): Promise<Buffer[]> {
    return this.track(this.inner.challenge(...args));
  }

  /** Resolves once every operation started through this has settled, however. */
  settled(): Promise<void> {
    return this.inFlight.idle();
  }

  /** Counts `op` until it settles; the caller gets `op` itself, its outcome unchanged. */
  private track<T>(op: Promise<T>): Promise<T> {
    this.inFlight.watch(op);
    return op;
  }
}
