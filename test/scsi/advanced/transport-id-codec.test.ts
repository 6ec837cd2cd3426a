import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeIscsiTransportId, encodeIscsiTransportId } from '../../../src/scsi/reservations/transport-id.js';
import { SenseError } from '../../../src/scsi/sense.js';

const name = fc.stringMatching(/^iqn\.[0-9]{4}-[0-9]{2}\.[a-z.]{1,20}(:[a-z0-9-]{1,30})?$/);
const isid = fc.stringMatching(/^[0-9a-f]{12}$/);

describe('iSCSI TransportID codec', () => {
  it('round-trips, padded to a multiple of 4 with a NUL terminator', () => {
    fc.assert(
      fc.property(name, isid, (initiatorName, i) => {
        const enc = encodeIscsiTransportId({ initiatorName, isid: i });
        expect(enc.length % 4).toBe(0);
        expect(enc[0]).toBe(0x45);
        expect(enc[enc.length - 1]).toBe(0);
        const dec = decodeIscsiTransportId(enc, 0, 0);
        expect(dec).toEqual({ port: { initiatorName, isid: i }, length: enc.length });
      }),
    );
  });

  it('random bytes decode or fail with SenseError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(8), (bytes, at) => {
        try {
          decodeIscsiTransportId(Buffer.from(bytes), at, at);
        } catch (err) {
          expect(err).toBeInstanceOf(SenseError);
        }
      }),
    );
  });
});
