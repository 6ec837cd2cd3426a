/**
 * A FIFO byte semaphore. Bounds the data buffers one connection holds at once, so memory
 * depends on our limits, not on how many large commands an initiator queues. With a
 * parent (the target-wide budget every connection shares) the bytes come from both: the
 * connection's own first, so one connection waits in the shared queue with at most its
 * own budget's worth.
 */
const NOTHING_TO_WITHDRAW = (): void => {};

export class ByteBudget {
  private available: number;
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(
    readonly capacity: number,
    private readonly parent?: ByteBudget,
  ) {
    if (parent && parent.capacity < capacity) throw new RangeError(`a budget of ${capacity} bytes cannot draw on a shared one of ${parent.capacity}`);
    this.available = capacity;
  }

  /**
   * Calls `grant` once `bytes` are reserved: at once when they are free and nobody is
   * waiting, else in arrival order. Returns a function that withdraws a pending request.
   */
  acquire(bytes: number, grant: () => void): () => void {
    // Free here and up the chain with nobody waiting, as for nearly every command: taken at
    // once, without the closures a request that may wait needs.
    if (this.takeNow(bytes)) {
      grant();
      return NOTHING_TO_WITHDRAW;
    }
    const parent = this.parent;
    if (!parent) return this.acquireHere(bytes, grant);
    let withdrawShared: (() => void) | undefined;
    let granted = false;
    const withdrawHere = this.acquireHere(bytes, () => {
      withdrawShared = parent.acquire(bytes, () => {
        granted = true;
        grant();
      });
    });
    return () => {
      if (granted) return;
      if (!withdrawShared) return withdrawHere();
      withdrawShared();
      this.releaseHere(bytes);
    };
  }

  release(bytes: number): void {
    // The shared budget first: other connections waiting there were in line before this one's next request.
    this.parent?.release(bytes);
    this.releaseHere(bytes);
  }

  /** Takes `bytes` here and from every budget up the chain if all have them free and nobody waits in any; else takes nothing. */
  private takeNow(bytes: number): boolean {
    if (!this.freeNow(bytes)) return false;
    if (this.parent && !this.parent.takeNow(bytes)) return false;
    this.available -= bytes;
    return true;
  }

  /** `bytes` are free here and nobody waits before them (FIFO). */
  private freeNow(bytes: number): boolean {
    return this.waiting.length === 0 && bytes <= this.available;
  }

  private acquireHere(bytes: number, grant: () => void): () => void {
    if (bytes > this.capacity) throw new RangeError(`request of ${bytes} bytes exceeds the budget of ${this.capacity}`);
    if (this.freeNow(bytes)) {
      this.available -= bytes;
      grant();
      return NOTHING_TO_WITHDRAW;
    }
    const entry = { bytes, grant };
    this.waiting.push(entry);
    return () => {
      const i = this.waiting.indexOf(entry);
      if (i >= 0) this.waiting.splice(i, 1);
      this.drain();
    };
  }

  private releaseHere(bytes: number): void {
    this.available = Math.min(this.capacity, this.available + bytes);
    this.drain();
  }

  get free(): number {
    return this.available;
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.waiting[0]!.bytes <= this.available) {
      const next = this.waiting.shift()!;
      this.available -= next.bytes;
      next.grant();
    }
  }
}
