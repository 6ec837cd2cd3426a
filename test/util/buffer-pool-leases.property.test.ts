/**
 * The pool's one promise: memory is handed out again only once nobody references it. Random
 * sequences of take / retain / release (each release possibly repeated) against a model of
 * who holds what: no buffer is handed out while its lease or any hold on it is live (each
 * live buffer keeps the bytes its holder wrote), a buffer whose last reference went is the
 * next one of its size class handed out, and idle memory stays within the pool's bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferPool, type BufferLease } from '../../src/util/buffer-pool.js';

const KiB = 1024;
const OPTIONS = { minBytes: 1 * KiB, maxBytes: 16 * KiB, maxIdleBytes: 40 * KiB };

type Op =
  | { kind: 'take'; bytes: number }
  | { kind: 'retain'; lease: number }
  | { kind: 'release'; lease: number; twice: boolean }
  | { kind: 'drop-hold'; hold: number; twice: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  // Sizes below, inside and above the pooled classes.
  fc.record({ kind: fc.constant('take' as const), bytes: fc.integer({ min: 1, max: 20 * KiB }) }),
  fc.record({ kind: fc.constant('retain' as const), lease: fc.nat() }),
  fc.record({ kind: fc.constant('release' as const), lease: fc.nat(), twice: fc.boolean() }),
  fc.record({ kind: fc.constant('drop-hold' as const), hold: fc.nat(), twice: fc.boolean() }),
);

interface Model {
  lease: BufferLease;
  memory: ArrayBuffer;
  size: number;
  pooled: boolean;
  owner: boolean;
  holds: number;
  /** The byte its holders wrote across the lease's bytes. */
  tag: number;
  gone: boolean;
}

function classOf(bytes: number): number {
  let size = OPTIONS.minBytes;
  while (size < bytes) size *= 2;
  return size;
}

describe('BufferPool leases and holds', () => {
  it('never hands out memory that is referenced, reuses what is not, and bounds idle memory', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 150 }), (ops) => {
        const pool = new BufferPool(OPTIONS);
        const leases: Model[] = [];
        const holds: Array<{ of: Model; release: () => void; live: boolean }> = [];
        /** What the model says is idle, by size class. */
        const idle = new Map<number, Set<ArrayBuffer>>();
        let idleBytes = 0;
        let tag = 0;

        const lastReferenceGone = (m: Model): void => {
          m.gone = true;
          if (!m.pooled || idleBytes + m.size > OPTIONS.maxIdleBytes) return;
          let set = idle.get(m.size);
          if (!set) idle.set(m.size, (set = new Set()));
          set.add(m.memory);
          idleBytes += m.size;
        };
        const live = (m: Model): boolean => m.owner || m.holds > 0;

        for (const o of ops) {
          switch (o.kind) {
            case 'take': {
              const lease = pool.take(o.bytes);
              const memory = lease.buffer.buffer as ArrayBuffer;
              expect(lease.buffer.length).toBe(o.bytes);
              const pooled = o.bytes >= OPTIONS.minBytes && o.bytes <= OPTIONS.maxBytes;
              expect(lease.pooled).toBe(pooled);
              if (pooled) {
                // Never memory someone still references. (Small plain allocations may share
                // Node's own slab: only pooled memory has an ArrayBuffer to itself.)
                for (const m of leases) if (m.pooled && live(m)) expect(m.memory).not.toBe(memory);
                const size = classOf(o.bytes);
                const candidates = idle.get(size);
                if (candidates && candidates.size > 0) {
                  // Released memory of the class is reused before anything new is allocated.
                  expect(candidates.has(memory)).toBe(true);
                  candidates.delete(memory);
                  idleBytes -= size;
                } else {
                  for (const m of leases) if (m.pooled) expect(m.memory).not.toBe(memory);
                }
              }
              const m: Model = { lease, memory, size: pooled ? classOf(o.bytes) : o.bytes, pooled, owner: true, holds: 0, tag: ++tag & 0xff, gone: false };
              lease.buffer.fill(m.tag);
              leases.push(m);
              break;
            }
            case 'retain': {
              const m = leases[o.lease % Math.max(1, leases.length)];
              if (!m) break;
              if (m.gone) {
                if (m.pooled) expect(() => m.lease.retain()).toThrow();
                break;
              }
              m.holds++;
              holds.push({ of: m, release: m.lease.retain(), live: true });
              break;
            }
            case 'release': {
              const m = leases[o.lease % Math.max(1, leases.length)];
              if (!m) break;
              const wasOwner = m.owner;
              m.lease.release();
              if (o.twice) m.lease.release(); // the owner's reference drops once
              if (wasOwner) {
                m.owner = false;
                if (!live(m)) lastReferenceGone(m);
              }
              break;
            }
            case 'drop-hold': {
              const h = holds[o.hold % Math.max(1, holds.length)];
              if (!h) break;
              h.release();
              if (o.twice) h.release(); // each hold releases once
              if (h.live) {
                h.live = false;
                h.of.holds--;
                if (!live(h.of)) lastReferenceGone(h.of);
              }
              break;
            }
          }
          // Whatever is still referenced kept the bytes its holders wrote.
          for (const m of leases) {
            if (!live(m)) continue;
            const bytes = m.lease.buffer;
            expect(bytes[0]).toBe(m.tag);
            expect(bytes[bytes.length - 1]).toBe(m.tag);
          }
          expect(pool.idleBytes).toBe(idleBytes);
          expect(pool.idleBytes).toBeLessThanOrEqual(OPTIONS.maxIdleBytes);
        }
      }),
      { numRuns: 300 },
    );
  });
});
