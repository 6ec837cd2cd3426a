import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/util/buffer-pool.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function pool(maxIdleBytes = 8 * MiB): BufferPool {
  return new BufferPool({ minBytes: 64 * KiB, maxBytes: 4 * MiB, maxIdleBytes });
}

describe('BufferPool', () => {
  it('hands out exactly the bytes asked for, from power-of-two classes', () => {
    const p = pool();
    const a = p.take(100 * KiB);
    expect(a.buffer.length).toBe(100 * KiB);
    expect(a.buffer.buffer.byteLength).toBe(128 * KiB);
    expect(p.footprint(100 * KiB)).toBe(128 * KiB);
    expect(p.footprint(1 * MiB)).toBe(1 * MiB);
  });

  it('serves requests outside its classes as plain allocations that never come back', () => {
    const p = pool();
    for (const bytes of [4 * KiB, 8 * MiB]) {
      const l = p.take(bytes);
      expect(l.pooled).toBe(false);
      expect(p.footprint(bytes)).toBe(bytes);
      l.release();
      expect(p.idleBytes).toBe(0);
    }
  });

  it('reuses a released buffer', () => {
    const p = pool();
    const a = p.take(1 * MiB);
    const memory = a.buffer.buffer;
    a.release();
    expect(p.idleBytes).toBe(1 * MiB);
    const b = p.take(1 * MiB - 512);
    expect(b.buffer.buffer).toBe(memory);
    expect(p.idleBytes).toBe(0);
  });

  it('does not reuse a retained buffer until every holder has released it', () => {
    const p = pool();
    const a = p.take(1 * MiB);
    const memory = a.buffer.buffer;
    const releaseQueue = a.retain();
    const releaseOther = a.retain();
    a.release();
    a.release(); // the owner's reference drops once
    expect(p.take(1 * MiB).buffer.buffer).not.toBe(memory);
    releaseQueue();
    releaseQueue(); // each holder's release works once
    expect(p.idleBytes).toBe(0);
    expect(p.take(1 * MiB).buffer.buffer).not.toBe(memory);
    releaseOther();
    expect(p.take(1 * MiB).buffer.buffer).toBe(memory);
    expect(() => a.retain()).toThrow();
  });

  it('keeps idle memory bounded under a flood of large buffers', () => {
    const p = pool(8 * MiB);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 64 * KiB, max: 4 * MiB }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 40 }), (sizes, inFlight) => {
        const held = [];
        for (const bytes of sizes) {
          held.push(p.take(bytes));
          // At most `inFlight` at once, like a connection's Data-Out budget allows.
          if (held.length > inFlight) held.shift()!.release();
          expect(p.idleBytes).toBeLessThanOrEqual(8 * MiB);
        }
        for (const l of held) l.release();
        expect(p.idleBytes).toBeLessThanOrEqual(8 * MiB);
      }),
    );
  });

  it('refuses size classes that are not powers of two', () => {
    expect(() => new BufferPool({ minBytes: 3000, maxBytes: 4 * MiB, maxIdleBytes: 0 })).toThrow(RangeError);
  });
});
