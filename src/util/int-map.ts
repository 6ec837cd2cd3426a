/**
 * A map from non-negative integer keys to values, for tables whose entries come and go with
 * every I/O (a session's tasks by ITT, pending changes by chunk). Why not Map: V8 rebuilds a
 * Map's table as entries come and go (deleted entries fill it up), and once the Map has
 * lived long enough to be in the old generation, every new table is allocated there while
 * the table it replaces still points at the values it held. The young-generation collector
 * treats those dead old tables as live, so every value they point at survives it, is
 * promoted, and is only freed by a full collection. Measured on a replicating primary
 * (docs/performance.md, seventeenth session): with the session's tasks in a Map, 28% of young
 * allocations survived and a full collection ran every 200 ms; with this table, 2-3%.
 *
 * Open addressing with linear probing in arrays allocated once per size: deleting clears the
 * slot (backward-shift, no tombstones), so churn never reallocates; the arrays grow when half
 * full and, past 1024 slots, shrink when an eighth full (after a burst), nothing else.
 * Iteration is in ascending key order (for tasks, about the order they were issued).
 */
const EMPTY = -1;
const MIN_BITS = 3;
/** Tables up to this size never shrink: a queue depth's worth of entries coming and going must not reallocate. */
const KEEP_BITS = 10;
const TWO_TO_32 = 4294967296;

export class IntMap<V> {
  private keySlots: Float64Array;
  private valueSlots: (V | undefined)[];
  private bits: number;
  private count = 0;

  constructor(initialCapacity = 16) {
    this.bits = bitsFor(initialCapacity);
    this.keySlots = new Float64Array(1 << this.bits).fill(EMPTY);
    this.valueSlots = new Array<V | undefined>(1 << this.bits).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  /** Slots in the table (for tests: churn at a steady size must not grow it). */
  get capacity(): number {
    return this.keySlots.length;
  }

  get(key: number): V | undefined {
    const i = this.slotOf(key);
    return i < 0 ? undefined : this.valueSlots[i];
  }

  has(key: number): boolean {
    return this.slotOf(key) >= 0;
  }

  set(key: number, value: V): this {
    if (!Number.isSafeInteger(key) || key < 0) throw new RangeError(`IntMap keys are non-negative integers, not ${key}`);
    const found = this.slotOf(key);
    if (found >= 0) {
      this.valueSlots[found] = value;
      return this;
    }
    if ((this.count + 1) * 2 > this.keySlots.length) this.resize(this.bits + 1);
    this.place(key, value);
    this.count++;
    return this;
  }

  delete(key: number): boolean {
    let hole = this.slotOf(key);
    if (hole < 0) return false;
    const keys = this.keySlots;
    const mask = keys.length - 1;
    // Backward shift: each entry after the hole in its probe run moves into it unless its home lies between the hole and it.
    for (let j = (hole + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.home(keys[j]!);
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      keys[hole] = keys[j]!;
      this.valueSlots[hole] = this.valueSlots[j];
      hole = j;
    }
    keys[hole] = EMPTY;
    // Cleared, not left behind: the table must not keep the value alive.
    this.valueSlots[hole] = undefined;
    this.count--;
    if (this.bits > KEEP_BITS && this.count * 8 < keys.length) this.resize(Math.max(KEEP_BITS, bitsFor(this.count * 4)));
    return true;
  }

  clear(): void {
    this.keySlots.fill(EMPTY);
    this.valueSlots.fill(undefined);
    this.count = 0;
  }

  /** Keys in ascending order. */
  keys(): number[] {
    return this.entries().map(([k]) => k);
  }

  /** Values in ascending key order (a snapshot: changing the map while using it is safe). */
  values(): V[] {
    return this.entries().map(([, v]) => v);
  }

  /** [key, value] pairs in ascending key order (a snapshot). */
  entries(): Array<[number, V]> {
    const out: Array<[number, V]> = [];
    for (let i = 0; i < this.keySlots.length; i++) if (this.keySlots[i] !== EMPTY) out.push([this.keySlots[i]!, this.valueSlots[i] as V]);
    return out.sort((a, b) => a[0] - b[0]);
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries()[Symbol.iterator]();
  }

  /** The slot holding `key`, or -1. */
  private slotOf(key: number): number {
    if (key === EMPTY) return -1;
    const keys = this.keySlots;
    const mask = keys.length - 1;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) return i;
      if (k === EMPTY) return -1;
    }
  }

  /** Where the probe for `key` starts: a multiplicative hash of both halves, its top bits. */
  private home(key: number): number {
    const low = key >>> 0;
    const high = (key / TWO_TO_32) >>> 0;
    return Math.imul(low ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1) >>> (32 - this.bits);
  }

  private resize(bits: number): void {
    const keys = this.keySlots;
    const values = this.valueSlots;
    this.bits = bits;
    this.keySlots = new Float64Array(1 << bits).fill(EMPTY);
    this.valueSlots = new Array<V | undefined>(1 << bits).fill(undefined);
    for (let j = 0; j < keys.length; j++) if (keys[j] !== EMPTY) this.place(keys[j]!, values[j]);
  }

  /** Puts `key` (not in the table) in the first empty slot of its probe run. */
  private place(key: number, value: V | undefined): void {
    const mask = this.keySlots.length - 1;
    let i = this.home(key);
    while (this.keySlots[i] !== EMPTY) i = (i + 1) & mask;
    this.keySlots[i] = key;
    this.valueSlots[i] = value;
  }
}

function bitsFor(capacity: number): number {
  let bits = MIN_BITS;
  while (1 << bits < capacity) bits++;
  return bits;
}
