/**
 * The forgetting store itself: it keeps exactly what the contract makes durable (FUA, a
 * completed flush of completed writes) and, in the 'some' model, nothing but versions
 * that were really written; its live view behaves like MemoryBlockStore.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { PowerLossBlockStore } from '../support/power-loss-store.js';
import { SimNode, SimScheduler, seededRng } from '../support/sim-scheduler.js';

const SIZE = 16 * 512;
const fill = (byte: number, blocks = 1) => Buffer.alloc(blocks * 512, byte);

async function read(store: PowerLossBlockStore, offset: number, length: number): Promise<Buffer> {
  const b = Buffer.alloc(length);
  await store.read(b, offset);
  return b;
}

function simulated() {
  const scheduler = new SimScheduler();
  const node = new SimNode('disk');
  const store = new PowerLossBlockStore({ size: SIZE, place: { scheduler, node } });
  /** Runs the pending steps in the order given by their labels' first match. */
  const run = (...labels: string[]) => {
    for (const label of labels) {
      const i = scheduler.describe().findIndex((d) => d === `disk:${label}`);
      if (i < 0) throw new Error(`no pending ${label}: ${scheduler.describe().join(', ')}`);
      // Step exactly that one: an rng that picks index i.
      scheduler.step(() => (i + 0.5) / scheduler.size);
    }
  };
  return { scheduler, node, store, run };
}

describe('PowerLossBlockStore', () => {
  it('forgets writes no flush covered; keeps FUA writes and flushed ones', async () => {
    const s = new PowerLossBlockStore({ size: SIZE });
    await s.write(fill(1), 0);
    await s.write(fill(2), 512, true);
    await s.write(fill(3), 1024);
    await s.flush();
    await s.write(fill(4), 1536);
    await s.write(fill(5), 1024); // overwrites a flushed block, not flushed itself
    expect((await read(s, 1024, 512)).equals(fill(5))).toBe(true);
    const after = s.crash({ keep: 'none' });
    expect((await read(after, 0, 512)).equals(fill(1))).toBe(true);
    expect((await read(after, 512, 512)).equals(fill(2))).toBe(true);
    expect((await read(after, 1024, 512)).equals(fill(3))).toBe(true);
    expect((await read(after, 1536, 512)).equals(fill(0))).toBe(true);
  });

  it('a flush covers the writes completed when it was issued, not those still in flight', async () => {
    const { store, run } = simulated();
    const w = store.write(fill(7), 0);
    const f = store.flush();
    run('write', 'flush');
    await Promise.all([w, f]);
    expect((await read(store.crash({ keep: 'none' }), 0, 512)).equals(fill(0))).toBe(true);

    const second = simulated();
    const w2 = second.store.write(fill(7), 0);
    second.run('write');
    await w2;
    const f2 = second.store.flush();
    second.run('flush');
    await f2;
    expect((await read(second.store.crash({ keep: 'none' }), 0, 512)).equals(fill(7))).toBe(true);
  });

  it('a flush still in flight at the power loss made nothing durable; writes change nothing until they complete', async () => {
    const { store, run } = simulated();
    const w = store.write(fill(9), 512);
    expect((await Promise.race([read(store, 512, 512).then(() => 'read'), Promise.resolve('pending')]))).toBe('pending');
    run('write');
    await w;
    void store.flush();
    const after = store.crash({ keep: 'none' });
    expect((await read(after, 512, 512)).equals(fill(0))).toBe(true);
    // The dead store never answers again.
    let settled = false;
    void store.write(fill(1), 0).finally(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
  });

  it('discards deallocate and are durable like writes', async () => {
    const s = new PowerLossBlockStore({ size: SIZE });
    await s.write(fill(1, 4), 0);
    await s.flush();
    await s.discard(0, 1024);
    expect((await read(s, 0, 1024)).equals(fill(0, 2))).toBe(true);
    expect(await s.allocation(0, SIZE)).toEqual({ mapped: false, length: 1024 });
    const lost = s.crash({ keep: 'none' });
    expect((await read(lost, 0, 2048)).equals(fill(1, 4))).toBe(true);
    await lost.discard(512, 1024);
    await lost.discard(0, 100); // partial block: zeroes, stays mapped
    await lost.flush();
    const kept = lost.crash({ keep: 'none' });
    const expected = Buffer.concat([Buffer.alloc(100), fill(1).subarray(100), fill(0, 2), fill(1)]);
    expect((await read(kept, 0, 2048)).equals(expected)).toBe(true);
  });

  it("'some' brings back, block by block, only durable content or a version that was written", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ block: fc.integer({ min: 0, max: 15 }), blocks: fc.integer({ min: 1, max: 4 }), fua: fc.boolean(), flush: fc.boolean() }), { maxLength: 20 }),
        fc.integer(),
        async (ops, seed) => {
          const s = new PowerLossBlockStore({ size: SIZE });
          const versions = Array.from({ length: 16 }, () => [fill(0)]);
          let durable = Array.from({ length: 16 }, () => 0);
          const latest = Array.from({ length: 16 }, () => 0);
          for (const [i, op] of ops.entries()) {
            const blocks = Math.min(op.blocks, 16 - op.block);
            await s.write(fill(i + 1, blocks), op.block * 512, op.fua);
            for (let b = op.block; b < op.block + blocks; b++) {
              versions[b]!.push(fill(i + 1));
              latest[b] = versions[b]!.length - 1;
              if (op.fua) durable[b] = latest[b]!;
            }
            if (op.flush) {
              await s.flush();
              durable = [...latest];
            }
          }
          const after = s.crash({ keep: 'some', rng: seededRng(seed) });
          for (let b = 0; b < 16; b++) {
            const got = await read(after, b * 512, 512);
            const allowed = versions[b]!.slice(durable[b]!);
            expect(allowed.some((v) => v.equals(got))).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the live view, and digests of any extents of it, match MemoryBlockStore under any writes and discards', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ discard: fc.boolean(), offset: fc.integer({ min: 0, max: SIZE - 1 }), length: fc.integer({ min: 1, max: 3000 }), byte: fc.integer({ min: 1, max: 255 }) }), { maxLength: 30 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: SIZE - 1 }), fc.integer({ min: 0, max: SIZE })), { maxLength: 4 }),
        async (ops, ranges) => {
          const s = new PowerLossBlockStore({ size: SIZE });
          const m = new MemoryBlockStore({ size: SIZE });
          for (const op of ops) {
            const length = Math.min(op.length, SIZE - op.offset);
            if (op.discard) {
              await s.discard(op.offset, length);
              await m.discard(op.offset, length);
            } else {
              await s.write(Buffer.alloc(length, op.byte), op.offset);
              await m.write(Buffer.alloc(length, op.byte), op.offset);
            }
          }
          const want = Buffer.alloc(SIZE);
          await m.read(want, 0);
          expect((await read(s, 0, SIZE)).equals(want)).toBe(true);
          expect((await s.sha256(0, SIZE)).equals(await m.sha256(0, SIZE))).toBe(true);
          const extents = Float64Array.from(ranges.flatMap(([offset, length]) => [offset, Math.min(length, SIZE - offset)]));
          expect(s.digestAlgorithms).toEqual(m.digestAlgorithms);
          for (const algorithm of m.digestAlgorithms) {
            expect((await s.digestExtents(extents, algorithm)).equals(await m.digestExtents(extents, algorithm)), algorithm).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
