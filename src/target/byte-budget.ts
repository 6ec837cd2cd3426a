/**
 * A FIFO byte semaphore. Bounds the Data-Out buffers one connection holds at once, so
 * memory depends on our limits, not on how many large writes an initiator queues.
 */
const NOTHING_TO_WITHDRAW = (): void => {};

export class ByteBudget {
  private available: number;
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly capacity: number) {
    this.available = capacity;
  }

  /**
   * Calls `grant` once `bytes` are reserved: at once when they are free and nobody is
   * waiting, else in arrival order. Returns a function that withdraws a pending request.
   */
  acquire(bytes: number, grant: () => void): () => void {
    if (bytes > this.capacity) throw new RangeError(`request of ${bytes} bytes exceeds the budget of ${this.capacity}`);
    if (this.waiting.length === 0 && bytes <= this.available) {
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

  release(bytes: number): void {
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
