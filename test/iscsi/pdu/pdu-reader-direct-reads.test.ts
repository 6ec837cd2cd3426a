/** PduReader fed by a socket that reads into the memory the reader names (nextReadBuffer / pushRead). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeNopOut } from '../../../src/iscsi/pdu/nop.js';
import { wire } from './wire.js';
import { PduReader, type FramedPdu, type FramerLimits } from '../../../src/iscsi/pdu/pdu-reader.js';

function nop(itt: number, length: number): Buffer {
  return encodeNopOut({ immediate: true, lun: 0n, itt, ttt: 0xffffffff, cmdSN: 1, expStatSN: 1 }, length);
}

/** Like a kernel read: copies at most what the socket holds, what is asked, and `limit` into the offered memory. */
function readInto(reader: PduReader, stream: Buffer, off: number, limit: number): number {
  const buf = reader.nextReadBuffer();
  expect(buf.length).toBeGreaterThan(0);
  const n = Math.min(buf.length, limit, stream.length - off);
  stream.copy(buf, 0, off, off + n);
  reader.pushRead(n, buf);
  return off + n;
}

interface Seen {
  pdus: FramedPdu[];
  digestErrors: number;
  landings: Buffer[];
}

/** Keeps what the reader delivers by reference: a scratch chunk reused under a delivered PDU would show. */
function reader(limits: FramerLimits, land: boolean): { reader: PduReader; seen: Seen } {
  const seen: Seen = { pdus: [], digestErrors: 0, landings: [] };
  const r = new PduReader(limits, {
    onPdu: (p) => seen.pdus.push(p),
    onFatal: (why) => {
      throw new Error(why);
    },
    onDataDigestError: () => seen.digestErrors++,
    onOversizeSegment: () => undefined,
    landing: land
      ? (_h, length) => {
          const b = Buffer.alloc(length);
          seen.landings.push(b);
          return b;
        }
      : undefined,
  });
  return { reader: r, seen };
}

describe('PduReader direct reads', () => {
  it('frames any PDU sequence read in any sizes into the memory it names, every delivered PDU intact to the end', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 8000, max: 40_000 })), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 255 }),
        (lengths, readSizes, digests, land, seed) => {
          const payloads = lengths.map((n, i) => Buffer.alloc(n, (seed + i * 37) & 0xff).fill(i & 0xff, 0, Math.min(n, 3)));
          const stream = Buffer.concat(payloads.map((p, i) => wire(nop(i, p.length), p, digests, digests)));
          const { reader: r, seen } = reader({ maxRecvDataSegmentLength: 65536, headerDigest: digests, dataDigest: digests }, land);
          let off = 0;
          for (let i = 0; off < stream.length; i++) off = readInto(r, stream, off, readSizes[i % readSizes.length]!);
          expect(seen.digestErrors).toBe(0);
          expect(seen.pdus.map((p) => p.header.readUInt32BE(16))).toEqual(payloads.map((_, i) => i));
          expect(seen.pdus.map((p) => p.data.toString('hex'))).toEqual(payloads.map((p) => p.toString('hex')));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a large segment straight into its landing, then only a header before the next', () => {
    const data = Buffer.alloc(65536, 0x5a);
    const stream = Buffer.concat([wire(nop(1, data.length), data, false, false), wire(nop(2, data.length), data, false, false)]);
    const { reader: r, seen } = reader({ maxRecvDataSegmentLength: 65536, headerDigest: false, dataDigest: false }, true);
    let off = readInto(r, stream, 0, 48);
    expect(seen.landings).toHaveLength(1);
    const direct = r.nextReadBuffer();
    expect(direct.buffer).toBe(seen.landings[0]!.buffer);
    expect(direct.length).toBe(65536);
    off = readInto(r, stream, off, 65536);
    expect(seen.pdus).toHaveLength(1);
    expect(seen.pdus[0]!.data).toBe(seen.landings[0]);
    expect(r.nextReadBuffer().length).toBe(48);
    off = readInto(r, stream, off, 48);
    expect(r.nextReadBuffer().buffer).toBe(seen.landings[1]!.buffer);
    readInto(r, stream, off, 65536);
    expect(seen.pdus.map((p) => p.data.equals(data))).toEqual([true, true]);
  });

  it('checks the data digest over the bytes where a direct read put them', () => {
    const data = Buffer.alloc(20_000, 7);
    const bad = wire(nop(1, data.length), data, false, true);
    bad[48 + 100] ^= 1;
    const stream = Buffer.concat([bad, wire(nop(2, 2), Buffer.from('ok'), false, true)]);
    const { reader: r, seen } = reader({ maxRecvDataSegmentLength: 65536, headerDigest: false, dataDigest: true }, false);
    let off = 0;
    while (off < stream.length) off = readInto(r, stream, off, 65536);
    expect(seen.digestErrors).toBe(1);
    expect(seen.pdus.map((p) => p.data.toString())).toEqual(['ok']);
  });
});
