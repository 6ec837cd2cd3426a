import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExtendedCopy, XcopyLimits } from '../../../src/scsi/extended-copy.js';
import { SenseError } from '../../../src/scsi/sense.js';

describe('EXTENDED COPY parameter list parser', () => {
  it('random bytes parse or fail with SenseError only, and never yield more than the limits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.boolean(), (bytes, plausible) => {
        const data = Buffer.from(bytes);
        if (plausible && data.length >= 16) {
          // Keep the lengths small so the walk reaches the descriptors.
          data.writeUInt16BE(data[2]! & 0x60, 2);
          data.writeUInt32BE(data[8]! & 0x7f, 8);
          data.writeUInt32BE(0, 12);
        }
        try {
          const plan = parseExtendedCopy(data);
          expect(plan.cscds.length).toBeLessThanOrEqual(XcopyLimits.MAX_CSCD_DESCRIPTORS);
          expect(plan.segments.length).toBeLessThanOrEqual(XcopyLimits.MAX_SEGMENT_DESCRIPTORS);
        } catch (err) {
          expect(err).toBeInstanceOf(SenseError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
