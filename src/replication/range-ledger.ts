/**
 * Ranges kept in arrival order as columns of numbers, not as objects: the changes shipped
 * to the backup and not yet confirmed durable there number hundreds of thousands between
 * two confirmations under load, and an object each would be promoted to V8's old
 * generation and marked at every full collection until then (measured: 1 KB a write
 * promoted, a full collection every third of a second). Oldest first; the oldest leave first.
 */
const FIELDS = 4;
const OFFSET = 0;
const LENGTH = 1;
const AT = 2;
const TAG = 3;

export class RangeLedger {
  private columns: Float64Array;
  private discards: Uint8Array;
  private head = 0;
  private tail = 0;

  constructor(initialCapacity = 1024) {
    this.columns = new Float64Array(initialCapacity * FIELDS);
    this.discards = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.tail - this.head;
  }

  /** `at`: when the range arrived; `tag`: a number the owner keeps with it (a journal sequence number). */
  push(offset: number, length: number, discard: boolean, at = 0, tag = 0): void {
    if (this.tail === this.discards.length) this.makeRoom();
    const i = this.tail++;
    const c = this.columns;
    c[i * FIELDS + OFFSET] = offset;
    c[i * FIELDS + LENGTH] = length;
    c[i * FIELDS + AT] = at;
    c[i * FIELDS + TAG] = tag;
    this.discards[i] = discard ? 1 : 0;
  }

  /** When the oldest range arrived (undefined: none). */
  get oldestAt(): number | undefined {
    return this.length > 0 ? this.columns[this.head * FIELDS + AT] : undefined;
  }

  /** Calls `fn` for the oldest `count` ranges (all by default), oldest first. */
  forEach(fn: (offset: number, length: number, discard: boolean, tag: number) => void, count = this.length): void {
    const c = this.columns;
    const end = this.head + Math.min(count, this.length);
    for (let i = this.head; i < end; i++) fn(c[i * FIELDS + OFFSET]!, c[i * FIELDS + LENGTH]!, this.discards[i] === 1, c[i * FIELDS + TAG]!);
  }

  /** The oldest `count` ranges leave. */
  shift(count: number): void {
    this.head += Math.min(count, this.length);
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** Hands every range over in a ledger of its own; this one is left empty. */
  takeAll(): RangeLedger {
    const taken = new RangeLedger(0);
    taken.columns = this.columns;
    taken.discards = this.discards;
    taken.head = this.head;
    taken.tail = this.tail;
    this.columns = new Float64Array(1024 * FIELDS);
    this.discards = new Uint8Array(1024);
    this.head = this.tail = 0;
    return taken;
  }

  /** At the end of the columns: moves the live ranges to the front, or doubles the columns when they fill more than half. */
  private makeRoom(): void {
    const live = this.length;
    const capacity = this.discards.length;
    if (live > capacity / 2 || capacity === 0) {
      const grown = Math.max(1024, capacity * 2);
      const columns = new Float64Array(grown * FIELDS);
      columns.set(this.columns.subarray(this.head * FIELDS, this.tail * FIELDS));
      const discards = new Uint8Array(grown);
      discards.set(this.discards.subarray(this.head, this.tail));
      this.columns = columns;
      this.discards = discards;
    } else {
      this.columns.copyWithin(0, this.head * FIELDS, this.tail * FIELDS);
      this.discards.copyWithin(0, this.head, this.tail);
    }
    this.head = 0;
    this.tail = live;
  }
}
