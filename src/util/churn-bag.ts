/**
 * An unordered collection for entries that come and go with every operation and are
 * iterated in place (copies in flight, reads in flight). Why not Set: V8 rebuilds a Set's
 * table as entries come and go, and once the Set is old, each dead table keeps the entries
 * it held alive through young collections (int-map.ts; docs/performance.md, fifty-first
 * session). Here an entry's slot is filled by the last entry when it leaves: add and delete
 * are O(1), iteration allocates nothing, and the array is reused, never rebuilt at a steady size.
 */
export interface BagEntry {
  /** The entry's slot while it is in a bag, -1 otherwise (the bag's to set). */
  bagIndex: number;
}

export class ChurnBag<T extends BagEntry> {
  private readonly slots: T[] = [];

  get size(): number {
    return this.slots.length;
  }

  /** The entries, in no particular order; not to be changed while iterated. */
  get entries(): readonly T[] {
    return this.slots;
  }

  add(entry: T): void {
    if (entry.bagIndex >= 0 && this.slots[entry.bagIndex] === entry) return;
    entry.bagIndex = this.slots.length;
    this.slots.push(entry);
  }

  delete(entry: T): boolean {
    const i = entry.bagIndex;
    if (i < 0 || this.slots[i] !== entry) return false;
    const last = this.slots.pop()!;
    if (last !== entry) {
      this.slots[i] = last;
      last.bagIndex = i;
    }
    entry.bagIndex = -1;
    return true;
  }
}
