/**
 * docs/vendor-commands.md §10: an ADOPT whose serial is not printable is refused, INVALID FIELD
 * IN PARAMETER LIST at parameter byte 56. Node's 'ascii' decoding clears bit 7, so a byte 80h-FFh
 * must be refused on its raw value, not read as the letter it decodes to.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdoptFormatError, decodeAdoptParameters, encodeAdoptParameters } from '../../src/replica-protocol/index.js';

const adopt = encodeAdoptParameters({
  volumeId: '0123abcd-0000-4000-8000-00000000cafe',
  startOver: 1,
  current: 5n,
  since: 1,
  history: [],
  device: { naa: Buffer.alloc(16, 0x60), serial: 'SERIAL1' },
});

function refusal(b: Buffer): unknown {
  try {
    return decodeAdoptParameters(b).device.serial;
  } catch (e) {
    return e;
  }
}

describe('ADOPT serial with bit 7 set', () => {
  it('is refused at parameter byte 56 whichever serial byte carries it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 56, max: 87 }), fc.integer({ min: 0x80, max: 0xff }), (at, value) => {
        const b = Buffer.from(adopt);
        b[at] = value;
        const err = refusal(b);
        expect(err).toBeInstanceOf(AdoptFormatError);
        expect((err as AdoptFormatError).byte).toBe(56);
      }),
    );
  });

  it("refuses 'S' with bit 7 set (D3h), which 'ascii' decoding reads as 'S'", () => {
    const b = Buffer.from(adopt);
    b[56] = 0xd3;
    expect(refusal(b)).toMatchObject({ name: 'AdoptFormatError', byte: 56 });
  });
});
