import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeNopOut } from '../../../src/iscsi/pdu/nop.js';
import { encodeScsiCommand } from '../../../src/iscsi/pdu/scsi-command.js';
import { wire } from './wire.js';
import { PduReader, type FramedPdu, type FramerLimits } from '../../../src/iscsi/pdu/pdu-reader.js';

interface Events {
  pdus: FramedPdu[];
  fatal: string[];
  digestErrors: Buffer[];
  oversize: number[];
}

function collect(limits: FramerLimits): { reader: PduReader; ev: Events } {
  const ev: Events = { pdus: [], fatal: [], digestErrors: [], oversize: [] };
  const reader = new PduReader(limits, {
    onPdu: (p) => ev.pdus.push({ header: Buffer.from(p.header), data: Buffer.from(p.data) }),
    onFatal: (r) => ev.fatal.push(r),
    onDataDigestError: (h) => ev.digestErrors.push(h),
    onOversizeSegment: (_h, n) => ev.oversize.push(n),
  });
  return { reader, ev };
}

function nop(itt: number, data: Buffer): Buffer {
  return encodeNopOut({ immediate: true, lun: 0n, itt, ttt: 0xffffffff, cmdSN: 1, expStatSN: 1 }, data.length);
}

describe('PduReader framing', () => {
  const limits = { maxRecvDataSegmentLength: 8192, headerDigest: false, dataDigest: false };

  it('frames PDUs split at every byte boundary, with AHS, padding and both digests', () => {
    for (const [hd, dd] of [
      [false, false],
      [true, true],
    ] as const) {
      const cmd = encodeScsiCommand(
        {
          immediate: false,
          final: true,
          read: false,
          write: true,
          attribute: 0,
          lun: 0n,
          itt: 7,
          expectedLength: 5,
          cmdSN: 1,
          expStatSN: 0,
          cdb: Buffer.alloc(32, 0x2a),
        },
        5,
      );
      const stream = Buffer.concat([wire(nop(1, Buffer.from('abc')), Buffer.from('abc'), hd, dd), wire(cmd, Buffer.from('hello'), hd, dd)]);
      for (let cut = 0; cut <= stream.length; cut++) {
        const { reader, ev } = collect({ ...limits, headerDigest: hd, dataDigest: dd });
        reader.push(stream.subarray(0, cut));
        reader.push(stream.subarray(cut));
        expect(ev.fatal).toEqual([]);
        expect(ev.pdus.map((p) => p.data.toString())).toEqual(['abc', 'hello']);
        expect(ev.pdus[1]!.header.length).toBe(48 + 20);
      }
    }
  });

  it('frames any PDU sequence fed in random chunkings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (payloads, sizes, digests) => {
          const stream = Buffer.concat(payloads.map((p, i) => wire(nop(i, Buffer.from(p)), Buffer.from(p), digests, digests)));
          const { reader, ev } = collect({ ...limits, headerDigest: digests, dataDigest: digests });
          let off = 0;
          for (let i = 0; off < stream.length; i++) {
            const n = sizes[i % sizes.length]!;
            reader.push(stream.subarray(off, off + n));
            off += n;
          }
          expect(ev.pdus.map((p) => [...p.data])).toEqual(payloads.map((p) => [...p]));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('delivers a PDU wholly inside one chunk without copying (subarray of the chunk)', () => {
    const chunk = wire(nop(1, Buffer.from('zero-copy')), Buffer.from('zero-copy'), false, false);
    let seen: FramedPdu | undefined;
    const reader = new PduReader(limits, {
      onPdu: (p) => (seen = p),
      onFatal: () => undefined,
      onDataDigestError: () => undefined,
      onOversizeSegment: () => undefined,
    });
    reader.push(chunk);
    expect(seen!.data.buffer).toBe(chunk.buffer);
  });

  it('stops on a header digest error', () => {
    const bad = wire(nop(1, Buffer.alloc(0)), Buffer.alloc(0), true, false);
    bad[50] ^= 1;
    const { reader, ev } = collect({ ...limits, headerDigest: true });
    reader.push(Buffer.concat([bad, wire(nop(2, Buffer.alloc(0)), Buffer.alloc(0), true, false)]));
    expect(ev.fatal).toEqual(['header digest error']);
    expect(ev.pdus).toHaveLength(0);
  });

  it('reports a data digest error, discards that PDU and keeps framing', () => {
    const bad = wire(nop(1, Buffer.from('abcd')), Buffer.from('abcd'), false, true);
    bad[bad.length - 1] ^= 0xff;
    const { reader, ev } = collect({ ...limits, dataDigest: true });
    reader.push(Buffer.concat([bad, wire(nop(2, Buffer.from('ok')), Buffer.from('ok'), false, true)]));
    expect(ev.digestErrors).toHaveLength(1);
    expect(ev.pdus.map((p) => p.data.toString())).toEqual(['ok']);
  });

  it('skips an oversize data segment without buffering it and resumes framing', () => {
    const big = Buffer.alloc(9000, 1);
    const { reader, ev } = collect(limits);
    const stream = Buffer.concat([wire(nop(1, big), big, false, false), wire(nop(2, Buffer.from('x')), Buffer.from('x'), false, false)]);
    for (let off = 0; off < stream.length; off += 1000) reader.push(stream.subarray(off, off + 1000));
    expect(ev.oversize).toEqual([9000]);
    expect(ev.pdus.map((p) => p.data.toString())).toEqual(['x']);
  });
});
