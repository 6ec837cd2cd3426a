import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ChallengeFormatError,
  DEFINED_ALGORITHMS,
  challengeVpdFor,
  decodeChallengeVpd,
  encodeChallengeVpd,
  vendorVpdPage,
} from '../../src/replica-protocol/index.js';

/** An LU whose store hashes with `digests` (names as BlockDevice.digestAlgorithms gives them). */
const lu = (blockSize: number, digests: string[] = ['sha256']) => ({ blockSize, device: { digestAlgorithms: digests } });

describe('vendor VPD page C0h', () => {
  it('advertises the algorithms, modes, opcodes and the limits the handlers enforce', () => {
    const page = vendorVpdPage(lu(512));
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
    expect(decodeChallengeVpd(vendorVpdPage(lu(4096))).maxExtentBlocks).toBe(2048);
  });

  it('SUPPORTED ALGORITHMS follows the store: 0001h for SHA-256 alone, 0003h with XXH3-128; MODES stay 0003h', () => {
    const sha = vendorVpdPage(lu(512, ['sha256']));
    const both = vendorVpdPage(lu(512, ['sha256', 'xxh3']));
    expect(sha.readUInt16BE(14)).toBe(0x0001);
    expect(both.readUInt16BE(14)).toBe(0x0003);
    expect(both.readUInt16BE(16)).toBe(0x0003);
    expect(both.subarray(16).equals(sha.subarray(16)) && both.subarray(0, 14).equals(sha.subarray(0, 14))).toBe(true);
    // Names the protocol does not define are not advertised.
    expect(vendorVpdPage(lu(512, ['sha256', 'md5'])).readUInt16BE(14)).toBe(0x0001);
  });

  it('round-trips, the algorithm bitmap included (any subset of the 16 codes)', () => {
    const codes = fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 16 }).map((a) => a.sort((x, y) => x - y));
    fc.assert(
      fc.property(fc.constantFrom(512, 1024, 2048, 4096, 65536), codes, (bs, algorithms) => {
        const v = challengeVpdFor(bs, algorithms);
        const page = encodeChallengeVpd(v);
        expect(page.readUInt16BE(14)).toBe(algorithms.reduce((m, c) => m | (1 << c), 0));
        expect(decodeChallengeVpd(page)).toEqual(v);
      }),
    );
  });

  it('vendorVpdPage advertises exactly the defined algorithms whose digest the store has', () => {
    fc.assert(
      fc.property(fc.subarray(['sha256', 'xxh3', 'md5', 'blake3']), (digests) => {
        const advertised = decodeChallengeVpd(vendorVpdPage(lu(512, digests))).algorithms;
        expect(advertised).toEqual(DEFINED_ALGORITHMS.filter((a) => digests.includes(['sha256', 'xxh3'][a]!)));
      }),
    );
  });

  it('random bytes never throw anything but ChallengeFormatError', () => {
    const good = vendorVpdPage(lu(512));
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
