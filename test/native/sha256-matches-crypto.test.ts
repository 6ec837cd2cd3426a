import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256, sha256, sha256Sync } from '../../src/native/index.js';

const nodeSha256 = (b: Buffer) => createHash('sha256').update(b).digest();

describe('sha256 and hmacSha256 equal node:crypto', () => {
  it('sha256Sync on random buffers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(sha256Sync(b).equals(nodeSha256(b))).toBe(true);
      }),
    );
  });

  it('async sha256 on random buffers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), async (bytes) => {
        const b = Buffer.from(bytes);
        expect((await sha256(b)).equals(nodeSha256(b))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('async sha256 of a large buffer', async () => {
    const big = Buffer.alloc(5 << 20);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    expect((await sha256(big)).toString('hex')).toBe(nodeSha256(big).toString('hex'));
  });

  it('hmacSha256 on random keys and messages (including keys longer than a block)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 500 }), (key, data) => {
        const k = Buffer.from(key);
        const d = Buffer.from(data);
        expect(hmacSha256(k, d).equals(createHmac('sha256', k).update(d).digest())).toBe(true);
      }),
    );
  });

  it('rejects non-Buffer input with a TypeError', () => {
    expect(() => sha256Sync('x' as unknown as Buffer)).toThrow(TypeError);
    expect(() => hmacSha256(Buffer.alloc(1), 7 as unknown as Buffer)).toThrow(TypeError);
  });
});
