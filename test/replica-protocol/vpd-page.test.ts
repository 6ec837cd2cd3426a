import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ChallengeFormatError,
  challengeVpdFor,
  decodeChallengeVpd,
  encodeChallengeVpd,
  vendorVpdPage,
} from '../../src/replica-protocol/index.js';

describe('vendor VPD page C0h', () => {
  it('advertises the algorithms, modes, opcodes and the limits the handlers enforce', () => {
    const page = vendorVpdPage({ blockSize: 512 });
    expect(page[1]).toBe(0xc0);
    expect(page.readUInt16BE(2)).toBe(page.length - 4);
    expect(page.toString('ascii', 4, 12)).toBe('TANDEMCR');
    expect(decodeChallengeVpd(page)).toEqual({
      version: 1,
      algorithms: [0],
      modes: [0, 1],
      opcodes: { challenge: 0xc1, sendList: 0xc2, receiveAnswers: 0xc3 },
      singleMaxBlocks: 255,
      maxListsPerNexus: 8,
      maxListsPerLu: 64,
      maxEntriesPerList: 1024,
      maxExtentBlocks: 16384,
      blockSize: 512,
    });
    expect(decodeChallengeVpd(vendorVpdPage({ blockSize: 4096 })).maxExtentBlocks).toBe(2048);
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(fc.constantFrom(512, 1024, 2048, 4096, 65536), (bs) => {
        const v = challengeVpdFor(bs);
        expect(decodeChallengeVpd(encodeChallengeVpd(v))).toEqual(v);
      }),
    );
  });

  it('random bytes never throw anything but ChallengeFormatError', () => {
    const good = vendorVpdPage({ blockSize: 512 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), fc.boolean(), (bytes, keepSignature) => {
        const b = Buffer.from(bytes);
        if (keepSignature && b.length >= 12) good.copy(b, 0, 0, 12);
        try {
          decodeChallengeVpd(b);
        } catch (e) {
          expect(e).toBeInstanceOf(ChallengeFormatError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
