import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInitiatorPdu, decodeTargetPdu } from '../../../src/iscsi/pdu/decode.js';
import { PduError } from '../../../src/iscsi/pdu/pdu-error.js';
import { parseAhs } from '../../../src/iscsi/pdu/segment.js';

function onlyPduError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PduError);
    expect((e as PduError).reason).toBeGreaterThan(0);
  }
}

describe('decoding random bytes', () => {
  it('never throws anything but PduError for random 48-byte headers (both directions)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), (a) => {
        const h = Buffer.from(a);
        onlyPduError(() => decodeInitiatorPdu(h));
        onlyPduError(() => decodeTargetPdu(h));
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws anything but PduError for random headers with random AHS', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.uint8Array({ minLength: 48, maxLength: 48 }), (ahs, bhs) => {
        const h = Buffer.concat([Buffer.from(bhs), Buffer.from(ahs)]);
        h[0] = (h[0]! & 0x40) | 0x01; // SCSI Command, the one PDU with AHS
        h[4] = Math.floor(ahs.length / 4);
        onlyPduError(() => decodeInitiatorPdu(h.subarray(0, 48 + h[4]! * 4)));
        onlyPduError(() => parseAhs(Buffer.from(ahs)));
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects unknown opcodes with reason 0x05 and short headers with 0x04', () => {
    const h = Buffer.alloc(48);
    h[0] = 0x1c;
    expect(() => decodeInitiatorPdu(h)).toThrow(expect.objectContaining({ reason: 0x05 }));
    expect(() => decodeInitiatorPdu(Buffer.alloc(20))).toThrow(expect.objectContaining({ reason: 0x04 }));
  });
});
