import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseUnmapParameters } from '../../../src/scsi/unmap.js';
import { SenseError } from '../../../src/scsi/sense.js';
import { unmapParams } from './helpers.js';

describe('UNMAP parameter list parser', () => {
  it('returns the non-empty ranges it was given', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1000), fc.nat(24)), { maxLength: 20 }), (ranges) => {
        const parsed = parseUnmapParameters(unmapParams(ranges), 1024);
        expect(parsed).toEqual(ranges.filter(([, n]) => n > 0).map(([lba, blocks]) => ({ lba, blocks })));
      }),
    );
  });

  it('random bytes parse or fail with SenseError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          parseUnmapParameters(Buffer.from(bytes), 4096);
        } catch (err) {
          expect(err).toBeInstanceOf(SenseError);
        }
      }),
    );
  });
});
