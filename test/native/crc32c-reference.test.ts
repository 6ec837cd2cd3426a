import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/util/crc32c.js';
import { native } from '../../src/native/index.js';

/** Bit-at-a-time reference straight from the definition (reflected 0x1EDC6F41). */
function referenceCrc32c(bytes: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe('crc32c against a JS reference', () => {
  it('matches on random buffers at every alignment and length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, shift) => {
        const view = Buffer.from(bytes).subarray(Math.min(shift, bytes.length));
        expect(crc32c(view)).toBe(referenceCrc32c(view));
        expect(native.crc32cSoftware(view)).toBe(referenceCrc32c(view));
      }),
      { numRuns: 500 },
    );
  });

  it('chains: crc32c(b, crc32c(a)) equals crc32c(a ++ b)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        const whole = Buffer.concat([a, b]);
        expect(crc32c(Buffer.from(b), crc32c(Buffer.from(a)))).toBe(crc32c(whole));
        expect(crc32c(Buffer.from(b), crc32c(Buffer.from(a)))).toBe(referenceCrc32c(whole));
      }),
    );
  });

  it('agrees with the table path on a large buffer', () => {
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    expect(crc32c(big)).toBe(native.crc32cSoftware(big));
  });
});
