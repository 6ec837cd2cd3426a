import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScsiDataError } from '../../src/initiator/cdb.js';
import { ProvisioningStatus, getLbaStatusCdb, lbaStatusAllocationLength, parseLbaStatus, provisionedRuns, type LbaStatusDescriptor } from '../../src/initiator/lba-status.js';

const U64_MAX = (1n << 64n) - 1n;

/** GET LBA STATUS parameter data as SBC-3 lays it out. */
function encode(descriptors: readonly LbaStatusDescriptor[]): Buffer {
  const data = Buffer.alloc(8 + 16 * descriptors.length);
  data.writeUInt32BE(4 + 16 * descriptors.length, 0);
  descriptors.forEach((d, i) => {
    data.writeBigUInt64BE(d.lba, 8 + 16 * i);
    data.writeUInt32BE(d.blocks, 16 + 16 * i);
    data[20 + 16 * i] = d.status;
  });
  return data;
}

/** A well-formed answer: ascending descriptors (gaps allowed), the first containing `start`. */
const wellFormed = fc
  .record({
    first: fc.bigInt({ min: 0n, max: 1n << 62n }),
    parts: fc.array(fc.record({ gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 })), blocks: fc.integer({ min: 1, max: 0xffffffff }), status: fc.integer({ min: 0, max: 15 }) }), { minLength: 1, maxLength: 24 }),
    into: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  })
  .map(({ first, parts, into }) => {
    const descriptors: LbaStatusDescriptor[] = [];
    let lba = first;
    parts.forEach((p, i) => {
      if (i > 0) lba += BigInt(p.gap);
      descriptors.push({ lba, blocks: p.blocks, status: p.status });
      lba += BigInt(p.blocks);
    });
    const start = first + BigInt(Math.floor(into * parts[0]!.blocks));
    return { descriptors, start };
  });

/** What every answer the decoder accepts satisfies, whatever the bytes were. */
function expectSafe(descriptors: LbaStatusDescriptor[], start: bigint): void {
  expect(descriptors.length).toBeGreaterThanOrEqual(1);
  expect(descriptors[0]!.lba <= start && start < descriptors[0]!.lba + BigInt(descriptors[0]!.blocks)).toBe(true);
  let end = 0n;
  for (const d of descriptors) {
    expect(d.blocks).toBeGreaterThan(0);
    expect(d.status).toBeGreaterThanOrEqual(0);
    expect(d.status).toBeLessThanOrEqual(15);
    expect(d.lba >= end).toBe(true);
    end = d.lba + BigInt(d.blocks);
    expect(end - 1n <= U64_MAX).toBe(true);
  }
}

function decodeOrRefuse(data: Buffer, start: bigint): LbaStatusDescriptor[] | undefined {
  try {
    return parseLbaStatus(data, start);
  } catch (e) {
    expect(e).toBeInstanceOf(ScsiDataError);
    return undefined;
  }
}

describe('GET LBA STATUS codec', () => {
  it('a well-formed answer decodes to its descriptors', () => {
    fc.assert(
      fc.property(wellFormed, ({ descriptors, start }) => {
        expect(parseLbaStatus(encode(descriptors), start)).toEqual(descriptors);
      }),
    );
  });

  it('an answer cut short by the allocation length decodes to its whole descriptors, or is refused when none is left', () => {
    fc.assert(
      fc.property(wellFormed, fc.nat(), ({ descriptors, start }, cutSeed) => {
        const full = encode(descriptors);
        const cut = cutSeed % (full.length + 1);
        const whole = Math.floor((cut - 8) / 16);
        const got = decodeOrRefuse(full.subarray(0, cut), start);
        if (cut < 24) expect(got).toBeUndefined();
        else expect(got).toEqual(descriptors.slice(0, whole));
      }),
    );
  });

  it('any bytes are either refused with ScsiDataError or decode to descriptors that are safe to act on', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.bigInt({ min: 0n, max: U64_MAX }), (bytes, start) => {
        const got = decodeOrRefuse(Buffer.from(bytes), start);
        if (got) expectSafe(got, start);
      }),
    );
  });

  it('a well-formed answer with one byte changed is refused or still safe to act on', () => {
    fc.assert(
      fc.property(wellFormed, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ descriptors, start }, at, xor) => {
        const data = encode(descriptors);
        data[at % data.length]! ^= xor;
        const got = decodeOrRefuse(data, start);
        if (got) expectSafe(got, start);
      }),
    );
  });

  it('refuses each malformation by name', () => {
    const ok = encode([{ lba: 0n, blocks: 8, status: 1 }]);
    const mutate = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(ok);
      f(b);
      return b;
    };
    expect(() => parseLbaStatus(ok.subarray(0, 7), 0n)).toThrow(/need 8/);
    expect(() => parseLbaStatus(mutate((b) => b.writeUInt32BE(3, 0)), 0n)).toThrow(/not 4 plus whole descriptors/);
    expect(() => parseLbaStatus(mutate((b) => b.writeUInt32BE(21, 0)), 0n)).toThrow(/not 4 plus whole descriptors/);
    expect(() => parseLbaStatus(mutate((b) => b.writeUInt32BE(4, 0)), 0n)).toThrow(/no descriptor/);
    expect(() => parseLbaStatus(mutate((b) => b.writeUInt32BE(0, 16)), 0n)).toThrow(/covers no block/);
    expect(() => parseLbaStatus(ok, 8n)).toThrow(/does not contain the starting LBA/);
    expect(() => parseLbaStatus(mutate((b) => b.writeBigUInt64BE(1n, 8)), 0n)).toThrow(/does not contain the starting LBA/);
    expect(() => parseLbaStatus(mutate((b) => b.writeBigUInt64BE(U64_MAX, 8)), U64_MAX)).toThrow(/beyond the last LBA/);
    const overlapping = encode([
      { lba: 0n, blocks: 8, status: 0 },
      { lba: 7n, blocks: 8, status: 1 },
    ]);
    expect(() => parseLbaStatus(overlapping, 0n)).toThrow(/overlaps or precedes/);
  });

  it('the CDB carries the service action, starting LBA and allocation length where SBC-3 puts them', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64_MAX }), fc.integer({ min: 0, max: 0xffffffff }), (lba, length) => {
        const cdb = getLbaStatusCdb(lba, length);
        expect(cdb.length).toBe(16);
        expect(cdb[0]).toBe(0x9e);
        expect(cdb[1]).toBe(0x12);
        expect(cdb.readBigUInt64BE(2)).toBe(lba);
        expect(cdb.readUInt32BE(10)).toBe(length);
        expect(cdb[14]).toBe(0);
        expect(cdb[15]).toBe(0);
      }),
    );
    expect(lbaStatusAllocationLength(64)).toBe(8 + 64 * 16);
    expect(() => getLbaStatusCdb(-1n, 24)).toThrow(RangeError);
    expect(() => getLbaStatusCdb(0, 2 ** 32)).toThrow(RangeError);
  });
});

describe('provisionedRuns', () => {
  const BLOCK = 512;
  /** Descriptors from LBA `first` (ascending, gaps allowed) over a small volume, an offset in the first, an end anywhere after. */
  const answer = fc
    .record({
      first: fc.integer({ min: 0, max: 1000 }),
      parts: fc.array(fc.record({ gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 })), blocks: fc.integer({ min: 1, max: 20 }), status: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 12 }),
      into: fc.integer({ min: 0, max: 19 }),
      beyond: fc.integer({ min: 0, max: 300 }),
    })
    .map(({ first, parts, into, beyond }) => {
      const descriptors: LbaStatusDescriptor[] = [];
      let lba = first;
      parts.forEach((p, i) => {
        if (i > 0) lba += p.gap;
        descriptors.push({ lba: BigInt(lba), blocks: p.blocks, status: p.status });
        lba += p.blocks;
      });
      const offset = (first + Math.min(into, parts[0]!.blocks - 1)) * BLOCK;
      return { descriptors, offset, end: offset + beyond * BLOCK };
    });

  it('covers the bytes from offset block by block as the descriptors say, up to the first gap or the end', () => {
    fc.assert(
      fc.property(answer, ({ descriptors, offset, end }) => {
        const runs = provisionedRuns(descriptors, offset, end, BLOCK);
        // The model: each block from `offset` in turn, its descriptor's status, until one has none.
        const expected: boolean[] = [];
        for (let at = offset; at < end; at += BLOCK) {
          const d = descriptors.find((x) => BigInt(at / BLOCK) >= x.lba && BigInt(at / BLOCK) < x.lba + BigInt(x.blocks));
          if (!d) break;
          expected.push(d.status !== ProvisioningStatus.DEALLOCATED);
        }
        const got: boolean[] = [];
        let at = offset;
        for (const r of runs) {
          expect(r.offset).toBe(at);
          expect(r.length).toBeGreaterThan(0);
          for (let b = 0; b < r.length / BLOCK; b++) got.push(r.mapped);
          at += r.length;
        }
        expect(got).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
