/**
 * The codecs two nodes of a pair exchange (VPD C1h, C6h READ CHANGE MAP data, C7h
 * parameters): what one side encodes the other decodes to the same values, and the
 * decoders refuse what is not theirs (ChallengeFormatError, never a crash).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_STATE_CODES,
  AdoptFormatError,
  ChallengeFormatError,
  MAX_HISTORY_ENTRIES,
  decodeAdoptParameters,
  decodeChangeMapData,
  decodeReplicationStateVpd,
  encodeAdoptParameters,
  encodeChangeMapData,
  encodeReplicationStateVpd,
  type AccessStateCode,
  type ReplicationStateReport,
} from '../../src/replica-protocol/index.js';

const gen = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const nonZeroGen = fc.bigInt({ min: 1n, max: (1n << 64n) - 1n });
const uuid = fc.uuid().map((u) => u.toLowerCase());
const safe = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const printable = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,30}[\x21-\x7e]$/);
const device = fc.record({ naa: fc.uint8Array({ minLength: 16, maxLength: 16 }).filter((a) => a.some((x) => x !== 0)).map((a) => Buffer.from(a)), serial: printable });

const report: fc.Arbitrary<ReplicationStateReport> = fc.record({
  role: fc.constantFrom('primary' as const, 'backup' as const),
  stale: fc.boolean(),
  splitBrain: fc.boolean(),
  resyncing: fc.boolean(),
  volumeId: uuid,
  startOver: fc.integer({ min: 0, max: 0xffffffff }),
  chunkSize: fc.integer({ min: 512, max: 0xffffffff }),
  current: gen,
  bitmap: gen,
  since: safe,
  history: fc.array(nonZeroGen, { maxLength: MAX_HISTORY_ENTRIES }),
  changedBytes: safe,
  resyncBytesLeft: safe,
  newestWriteAt: safe,
  device: fc.option(device, { nil: undefined }),
  alua: fc.option(
    fc.record({ portGroup: fc.integer({ min: 1, max: 0xffff }), relativePort: fc.integer({ min: 1, max: 0xffff }), state: fc.constantFrom(...(ACCESS_STATE_CODES as AccessStateCode[])) }),
    { nil: undefined },
  ),
  prSequence: gen,
});

describe('replication state VPD page (C1h)', () => {
  it('round-trips every report', () => {
    fc.assert(
      fc.property(report, (r) => {
        expect(decodeReplicationStateVpd(encodeReplicationStateVpd(r))).toEqual(r);
      }),
    );
  });

  it('refuses anything that is not the page, never crashing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeReplicationStateVpd(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(ChallengeFormatError);
        }
      }),
    );
  });

  it('reads a version 1 page (no ALUA port, no PR sequence): the history right after byte 135', () => {
    fc.assert(
      fc.property(report, (r) => {
        const v2 = encodeReplicationStateVpd(r);
        // Version 1 is version 2 without bytes 136-151.
        const v1 = Buffer.concat([v2.subarray(0, 136), v2.subarray(152)]);
        v1[12] = 1;
        v1.writeUInt16BE(v1.length - 4, 2);
        expect(decodeReplicationStateVpd(v1)).toEqual({ ...r, alua: undefined, prSequence: 0n });
      }),
    );
  });

  it('refuses an ALUA port with a relative port of 0 or an unknown access state', () => {
    const page = encodeReplicationStateVpd({ ...fc.sample(report, 1)[0]!, alua: { portGroup: 1, relativePort: 1, state: 0 } });
    const badPort = Buffer.from(page);
    badPort.writeUInt16BE(0, 138);
    expect(() => decodeReplicationStateVpd(badPort)).toThrow(ChallengeFormatError);
    const badState = Buffer.from(page);
    badState[140] = 0x05;
    expect(() => decodeReplicationStateVpd(badState)).toThrow(ChallengeFormatError);
  });

  it('refuses a page cut inside its history', () => {
    const page = encodeReplicationStateVpd({ ...fc.sample(report, 1)[0]!, history: [1n, 2n, 3n] });
    expect(() => decodeReplicationStateVpd(page.subarray(0, page.length - 1))).toThrow(ChallengeFormatError);
  });
});

describe('READ CHANGE MAP data (C6h)', () => {
  const slice = fc.integer({ min: 0, max: 4096 }).chain((chunkCount) =>
    fc.record({
      base: gen,
      chunkSize: fc.integer({ min: 512, max: 1 << 30 }),
      chunkCount: fc.constant(chunkCount),
      totalBytes: fc.constant(Math.ceil(chunkCount / 8)),
      bits: fc.uint8Array({ minLength: Math.ceil(chunkCount / 8), maxLength: Math.ceil(chunkCount / 8) }).map((a) => Buffer.from(a)),
    }),
  );

  it('round-trips, and an allocation length cuts the bits, never the header', () => {
    fc.assert(
      fc.property(slice, fc.integer({ min: 32, max: 2000 }), (s, allocation) => {
        const data = encodeChangeMapData(s, allocation);
        const d = decodeChangeMapData(data);
        expect(d).toMatchObject({ base: s.base, chunkSize: s.chunkSize, chunkCount: s.chunkCount, totalBytes: s.totalBytes });
        expect(d.bits.equals(s.bits.subarray(0, Math.max(0, allocation - 32)))).toBe(true);
      }),
    );
  });

  it('refuses data whose size does not match its chunk count', () => {
    const data = encodeChangeMapData({ base: 1n, chunkSize: 65536, chunkCount: 16, totalBytes: 2, bits: Buffer.alloc(2) }, 100);
    data.writeBigUInt64BE(3n, 24);
    expect(() => decodeChangeMapData(data)).toThrow(ChallengeFormatError);
    expect(() => decodeChangeMapData(Buffer.alloc(31))).toThrow(ChallengeFormatError);
  });
});

describe('REPLICATION CONTROL ADOPT parameters (C7h)', () => {
  const adopt = fc.record({
    volumeId: uuid,
    startOver: fc.integer({ min: 0, max: 0xffffffff }),
    current: nonZeroGen,
    since: safe,
    history: fc.array(nonZeroGen, { maxLength: MAX_HISTORY_ENTRIES }),
    device,
  });

  it('round-trip', () => {
    fc.assert(
      fc.property(adopt, (p) => {
        expect(decodeAdoptParameters(encodeAdoptParameters(p))).toEqual(p);
      }),
    );
  });

  it('name the byte at fault: no current generation, a history count over the limit, a length that does not fit it', () => {
    const good = encodeAdoptParameters(fc.sample(adopt, 1)[0]!);
    const noCurrent = Buffer.from(good);
    noCurrent.writeBigUInt64BE(0n, 24);
    expect(() => decodeAdoptParameters(noCurrent)).toThrow(expect.objectContaining({ byte: 24 }));
    const tooMany = Buffer.from(good);
    tooMany[20] = MAX_HISTORY_ENTRIES + 1;
    expect(() => decodeAdoptParameters(tooMany)).toThrow(expect.objectContaining({ byte: 20 }));
    expect(() => decodeAdoptParameters(Buffer.concat([good, Buffer.alloc(1)]))).toThrow(expect.objectContaining({ byte: -1 }));
    expect(() => decodeAdoptParameters(Buffer.alloc(10))).toThrow(AdoptFormatError);
  });

  it('refuse any other bytes with AdoptFormatError, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeAdoptParameters(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(AdoptFormatError);
        }
      }),
    );
  });
});
