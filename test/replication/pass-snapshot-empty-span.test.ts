/**
 * A pass skips a window of chunks whole only when none of them held data at its point in
 * time (PassSnapshot.emptySpan): a chunk the host has changed since (its old contents
 * preserved) is never judged by the live image, also when the change lands while the live
 * image is being asked. And a run of chunks read together mixes the live image and
 * preserved copies as each chunk calls for.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { PassSnapshot } from '../../src/replication/pass-snapshot.js';

const CHUNK = 64 * 1024;
const CHUNKS = 8;
const SIZE = CHUNKS * CHUNK;
const all = Array.from({ length: CHUNKS }, (_, c) => c);

/** A memory store whose allocation answers wait until `answer()` is called. */
class SlowAnswers extends MemoryBlockStore {
  private gates: Array<() => void> = [];
  override async allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return super.allocation(offset, maxLength);
  }
  answer(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

function snapshotOf(local: MemoryBlockStore): PassSnapshot {
  return new PassSnapshot(local, new MemoryBlockStore({ size: SIZE, path: 'scratch' }), CHUNK, all);
}

/** A host change as the engine makes it: old contents preserved first. */
async function hostDiscard(snapshot: PassSnapshot, local: MemoryBlockStore, chunk: number): Promise<void> {
  await snapshot.beforeWrite(chunk * CHUNK, CHUNK);
  await local.discard(chunk * CHUNK, CHUNK);
}

describe('PassSnapshot.emptySpan', () => {
  it('is true for chunks empty then and untouched, false where one held data', async () => {
    const local = new MemoryBlockStore({ size: SIZE, path: 'primary' });
    await local.write(Buffer.alloc(CHUNK, 7), 5 * CHUNK);
    const snapshot = snapshotOf(local);
    expect(await snapshot.emptySpan(0, 5)).toBe(true);
    expect(await snapshot.emptySpan(5, 3)).toBe(false);
  });

  it('is false for a chunk that held data and was emptied by the host before the question', async () => {
    const local = new MemoryBlockStore({ size: SIZE, path: 'primary' });
    await local.write(Buffer.alloc(CHUNK, 7), 2 * CHUNK);
    const snapshot = snapshotOf(local);
    await hostDiscard(snapshot, local, 2);
    // The live image holds nothing there now; the pass's point in time did.
    expect(await snapshot.emptySpan(0, 4)).toBe(false);
    expect(await snapshot.mapped([2])).toEqual([true]);
  });

  it('is false for a chunk the host emptied while the live image was being asked', async () => {
    const local = new SlowAnswers({ size: SIZE, path: 'primary' });
    await local.write(Buffer.alloc(CHUNK, 7), 2 * CHUNK);
    const snapshot = snapshotOf(local);
    const asked = snapshot.emptySpan(0, 4);
    await new Promise((resolve) => setImmediate(resolve));
    // beforeWrite's own allocation probe waits too: let both answer once the chunk is gone.
    const discarded = hostDiscard(snapshot, local, 2);
    await new Promise((resolve) => setImmediate(resolve));
    local.answer();
    await new Promise((resolve) => setImmediate(resolve));
    local.answer();
    await discarded;
    expect(await asked).toBe(false);
  });
});

describe('PassSnapshot.read of a run', () => {
  it('gives each chunk as it was when the pass started, preserved or live', async () => {
    const local = new MemoryBlockStore({ size: SIZE, path: 'primary' });
    for (const c of all) await local.write(Buffer.alloc(CHUNK, c + 1), c * CHUNK);
    const snapshot = snapshotOf(local);
    // Chunks 2 and 4 rewritten by the host (preserved first), the others untouched.
    for (const c of [2, 4]) {
      await snapshot.beforeWrite(c * CHUNK, CHUNK);
      await local.write(Buffer.alloc(CHUNK, 0xee), c * CHUNK);
    }
    const run = Buffer.alloc(6 * CHUNK);
    await snapshot.read(1, run);
    for (let i = 0; i < 6; i++) expect(run.subarray(i * CHUNK, (i + 1) * CHUNK).equals(Buffer.alloc(CHUNK, i + 2))).toBe(true);
    // A host write to a chunk read already goes straight through (nothing left to preserve).
    expect(snapshot.beforeWrite(3 * CHUNK, CHUNK)).toBeUndefined();
    await snapshot.close();
  });
});
