/**
 * `tandem probe` reads a REPORT SUPPORTED OPERATION CODES one-command answer (SPC-4 §6.35.3)
 * by its SUPPORT field (byte 1, bits 2-0) alone: 000b not available now, 001b not supported,
 * 011b supported as the standard says, 101b supported in a vendor-specific manner, and the
 * reserved values unknown — whatever the other bits (CTDP) and bytes hold; too short to hold
 * the field, unknown. Never a throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOneCommandSupport } from '../../src/cli/probe.js';

const SUPPORT = ['unavailable', 'unsupported', 'unknown', 'standard', 'unknown', 'vendor', 'unknown', 'unknown'] as const;

describe('REPORT SUPPORTED OPERATION CODES, one command', () => {
  it('is read from the SUPPORT field alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 31 }), fc.uint8Array({ minLength: 2, maxLength: 40 }), (support, otherBits, bytes) => {
        const data = Buffer.from(bytes);
        data[1] = (otherBits << 3) | support;
        expect(parseOneCommandSupport(data)).toBe(SUPPORT[support]);
      }),
    );
  });

  it('an answer too short to hold the field is unknown', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1 }), (bytes) => {
        expect(parseOneCommandSupport(Buffer.from(bytes))).toBe('unknown');
      }),
    );
  });
});
