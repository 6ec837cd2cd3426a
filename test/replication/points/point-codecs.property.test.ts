/**
 * The point store's on-disk codecs: the catalogue and a store's map header round-trip any
 * valid value, detect any flipped bit, and answer random bytes only with a PointFormatError
 * (never another exception); the page-sparse bitmap agrees with a plain array of bits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAP_HEADER_BYTES, decodeMapHeader, encodeMapHeader, type MapHeader } from '../../../src/replication/points/cow-file.js';
import { PointFormatError } from '../../../src/replication/points/point-error.js';
import {
  CATALOGUE_HEADER_BYTES,
  MAX_GONE,
  checkCatalogue,
  decodeCatalogue,
  encodeCatalogue,
  withGone,
  type Catalogue,
  type GoneRange,
} from '../../../src/replication/points/point-catalogue.js';
import { SparseBitmap } from '../../../src/replication/points/sparse-bitmap.js';
import { crc32c } from '../../../src/util/crc32c.js';

const safeId = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

/** Valid catalogues: increasing ids, distinct stores below nextStore, gone ranges between listed ids. */
const catalogueArb: fc.Arbitrary<Catalogue> = fc
  .record({
    granularity: fc.constantFrom(512, 4096, 65536, 64 * 1024 * 1024),
    volumeSize: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    ids: fc.uniqueArray(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 20 }),
    extraLast: fc.integer({ min: 0, max: 1000 }),
    hasLast: fc.boolean(),
    points: fc.array(
      fc.record({
        at: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
        origin: fc.constantFrom('pass' as const, 'scheduled' as const, 'manual' as const),
        label: fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: undefined }),
      }),
      { minLength: 20, maxLength: 20 },
    ),
    garbage: fc.integer({ min: 0, max: 5 }),
    gone: fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom('pruned' as const, 'dropped' as const, 'out-of-space' as const)), { maxLength: 30 }),
    restoring: fc.option(fc.nat(), { nil: undefined }),
  })
  .map((r) => {
    const ids = [...r.ids].sort((a, b) => a - b);
    const lastId = ids.length > 0 || r.hasLast ? (ids[ids.length - 1] ?? 0) + r.extraLast : undefined;
    const points = ids.map((id, i) => ({ id, ...r.points[i]!, store: i + 1, ...(r.points[i]!.label === undefined ? {} : { label: r.points[i]!.label }) }));
    for (const p of points) if (p.label === undefined) delete (p as { label?: string }).label;
    const garbage = Array.from({ length: r.garbage }, (_, i) => ids.length + 1 + i);
    let gone: GoneRange[] = [];
    if (lastId !== undefined) for (const [id, kind] of r.gone) if (id <= lastId && !ids.includes(id)) gone = withGone(gone, id, kind);
    const restoring = r.restoring !== undefined && ids.length > 0 ? ids[r.restoring % ids.length] : undefined;
    return { granularity: r.granularity, volumeSize: r.volumeSize, lastId, nextStore: ids.length + r.garbage + 1, restoring, points, garbage, gone };
  });

/** Headers of stores never grown, and of stores whose volume grew after their point (by `grownBy` bytes). */
const mapHeaderArb: fc.Arbitrary<MapHeader> = fc
  .record({ granularity: fc.integer({ min: 0, max: 0xffffffff }), volumeSize: safeId, store: safeId, pointId: safeId, grownBy: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }) })
  .map(({ grownBy, ...h }) => (grownBy !== undefined && grownBy < h.volumeSize ? { ...h, pointVolumeSize: h.volumeSize - grownBy } : h));

describe('point catalogue codec', () => {
  it('round-trips any valid catalogue', () => {
    fc.assert(
      fc.property(catalogueArb, (c) => {
        expect(checkCatalogue(c)).toBeUndefined();
        expect(decodeCatalogue(encodeCatalogue(c))).toEqual(c);
      }),
      { numRuns: 300 },
    );
  });

  it('detects any single flipped bit', () => {
    fc.assert(
      fc.property(catalogueArb, fc.nat(), fc.nat({ max: 7 }), (c, at, bit) => {
        const b = encodeCatalogue(c);
        b[at % b.length]! ^= 1 << bit;
        expect(() => decodeCatalogue(b)).toThrow(PointFormatError);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes never throw anything but PointFormatError, with a reason and one line', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: CATALOGUE_HEADER_BYTES * 4 }), (bytes) => {
        try {
          decodeCatalogue(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(PointFormatError);
          expect((e as PointFormatError).reason).toMatch(/^(short|magic|version|length|crc|field|order|label|geometry)$/);
          expect((e as Error).message).toMatch(/^point catalogue: [^\n]+$/);
          return;
        }
        throw new Error('random bytes decoded as a catalogue');
      }),
      { numRuns: 1000 },
    );
  });

  it('a well-framed record (right magic, length and checksum) with random fields is judged by its fields, not by an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: CATALOGUE_HEADER_BYTES, maxLength: 400 }), fc.nat({ max: 3 }), fc.nat({ max: 3 }), (bytes, points, gone) => {
        const b = Buffer.alloc(bytes.length + 4);
        Buffer.from(bytes).copy(b);
        b.writeUInt32BE(0x54504331, 0);
        b.writeUInt16BE(1, 4);
        b.writeUInt16BE(b.readUInt16BE(6) & 3, 6);
        b.writeUInt32BE(b.length, 8);
        b.writeUInt32BE(points, 48);
        b.writeUInt32BE(0, 52);
        b.writeUInt32BE(gone, 56);
        b.writeUInt32BE(0, 60);
        b.writeUInt32BE(crc32c(b.subarray(0, b.length - 4)) >>> 0, b.length - 4);
        try {
          const c = decodeCatalogue(b);
          expect(checkCatalogue(c)).toBeUndefined();
        } catch (e) {
          expect(e).toBeInstanceOf(PointFormatError);
          expect((e as PointFormatError).reason).not.toBe('crc');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('gone ranges merge neighbours of one kind and keep at most MAX_GONE', () => {
    let gone: GoneRange[] = [];
    for (const id of [5, 7, 6, 3, 9]) gone = withGone(gone, id, 'pruned');
    gone = withGone(gone, 8, 'dropped');
    expect(gone).toEqual([
      { from: 3, to: 3, kind: 'pruned' },
      { from: 5, to: 7, kind: 'pruned' },
      { from: 8, to: 8, kind: 'dropped' },
      { from: 9, to: 9, kind: 'pruned' },
    ]);
    let many: GoneRange[] = [];
    for (let id = 0; id < 3 * MAX_GONE; id += 2) many = withGone(many, id, 'pruned');
    expect(many).toHaveLength(MAX_GONE);
    expect(many[many.length - 1]).toEqual({ from: 3 * MAX_GONE - 2, to: 3 * MAX_GONE - 2, kind: 'pruned' });
  });
});

describe('point map header codec', () => {
  it('round-trips any header', () => {
    fc.assert(
      fc.property(mapHeaderArb, (h) => {
        expect(decodeMapHeader(encodeMapHeader(h))).toEqual(h);
      }),
    );
  });

  it('detects any single flipped bit', () => {
    fc.assert(
      fc.property(mapHeaderArb, fc.nat({ max: MAP_HEADER_BYTES - 1 }), fc.nat({ max: 7 }), (h, at, bit) => {
        const b = encodeMapHeader(h);
        b[at]! ^= 1 << bit;
        expect(() => decodeMapHeader(b)).toThrow(PointFormatError);
      }),
    );
  });

  it('a point volume size must be below the volume size', () => {
    const h = { granularity: 4096, volumeSize: 8192, store: 1, pointId: 1 };
    expect(() => encodeMapHeader({ ...h, pointVolumeSize: 8192 })).toThrow(RangeError);
    const b = encodeMapHeader({ ...h, pointVolumeSize: 4096 });
    b.writeBigUInt64BE(8192n, 40);
    b.writeUInt32BE(crc32c(b.subarray(0, 60)) >>> 0, 60);
    expect(() => decodeMapHeader(b)).toThrow(new PointFormatError('field', 'point map header: point volume size 8192, not below the volume size 8192'));
  });

  it('random bytes never throw anything but PointFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: MAP_HEADER_BYTES * 2 }), (bytes) => {
        expect(() => decodeMapHeader(Buffer.from(bytes))).toThrow(PointFormatError);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('sparse bitmap', () => {
  const opsArb = fc.integer({ min: 1, max: 20_000 }).chain((size) =>
    fc.record({ size: fc.constant(size), set: fc.array(fc.tuple(fc.nat({ max: size - 1 }), fc.integer({ min: 1, max: 300 })), { maxLength: 30 }), probes: fc.array(fc.nat({ max: size }), { maxLength: 20 }) }),
  );

  it('agrees with a plain array of bits: has, count, nextSet, nextClear, runs, packed bytes', () => {
    fc.assert(
      fc.property(opsArb, ({ size, set, probes }) => {
        const b = new SparseBitmap(size);
        const model = new Uint8Array(size);
        for (const [first, n] of set) {
          const count = Math.min(n, size - first);
          b.setRun(first, count);
          model.fill(1, first, first + count);
        }
        const total = model.reduce((a, x) => a + x, 0);
        expect(b.count).toBe(total);
        expect(b.byteLength).toBeLessThanOrEqual(Math.ceil(size / 8));
        for (const p of probes) {
          expect(b.has(p)).toBe(p < size && model[p] === 1);
          const ns = model.indexOf(1, p);
          expect(b.nextSet(p)).toBe(p >= size ? -1 : ns);
          const nc = model.indexOf(0, p);
          expect(b.nextClear(p)).toBe(p >= size ? -1 : nc);
        }
        const runs: Array<[number, number]> = [];
        for (let i = 0; i < size; i++) {
          if (!model[i]) continue;
          const last = runs[runs.length - 1];
          if (last && last[0] + last[1] === i) last[1]++;
          else runs.push([i, 1]);
        }
        expect([...b.runs()]).toEqual(runs);
        const clear: Array<[number, number]> = [];
        for (let i = 0; i < size; i++) {
          if (model[i]) continue;
          const last = clear[clear.length - 1];
          if (last && last[0] + last[1] === i) last[1]++;
          else clear.push([i, 1]);
        }
        expect([...b.clearRuns()]).toEqual(clear);
        for (const p of probes) {
          const within = (rs: Array<[number, number]>, from: number, to: number) =>
            rs.flatMap(([s, n]): Array<[number, number]> => (s + n <= from || s >= to ? [] : [[Math.max(s, from), Math.min(s + n, to) - Math.max(s, from)]]));
          const to = Math.min(size, p + 1000);
          expect([...b.runs(p, to)]).toEqual(within(runs, p, to));
          expect([...b.clearRuns(p, to)]).toEqual(within(clear, p, to));
        }
        // Packed as on disk, and back.
        const packed = new Uint8Array(Math.ceil(size / 8));
        for (let p = 0; p < b.pageCount; p++) {
          const page = b.page(p);
          if (page) packed.set(page, p * 512);
        }
        const back = SparseBitmap.fromBytes(size, packed);
        expect([...back.runs()]).toEqual(runs);
        expect(back.count).toBe(total);
      }),
      { numRuns: 300 },
    );
  });

  it('bits past the end of random bytes are ignored', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.uint8Array({ maxLength: 800 }), (size, bytes) => {
        const b = SparseBitmap.fromBytes(size, bytes);
        expect(b.count).toBe([...b.runs()].reduce((n, [, c]) => n + c, 0));
        expect(b.nextSet(size)).toBe(-1);
        expect(b.byteLength).toBeLessThanOrEqual(Math.ceil(size / 8));
      }),
    );
  });
});
