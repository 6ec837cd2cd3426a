/**
 * Command data lands in the command's buffer straight from the socket chunks: however the
 * initiator's byte stream is cut into socket reads, the target writes the same data and
 * answers with the same PDUs (errors included) as when the stream arrives in one read.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RESERVED_TAG, RejectReason } from '../../../src/iscsi/pdu/opcodes.js';
import type { SessionParams } from '../../../src/iscsi/session-params.js';
import { Connection } from '../../../src/target/connection.js';
import { ioBufferPool } from '../../../src/util/buffer-pool.js';
import { BLOCK } from './helpers/fake-scsi.js';
import { MemoryConnection, dataOut, wire, writeCommand, type TargetOutput } from './helpers/memory-connection.js';

interface WriteSpec {
  blocks: number;
  /** Immediate data wanted (cut to what the parameters allow). */
  immediate: number;
  seed: number;
}

type Fault = { kind: 'none' } | { kind: 'data-sn' | 'digest'; write: number; pdu: number };

/** The byte stream an initiator sends for `writes` (each at LBA i*64), following RFC 7143 §4.2.3, with one optional fault. */
function initiatorStream(p: SessionParams, writes: WriteSpec[], fault: Fault): { stream: Buffer; payloads: Buffer[] } {
  const parts: Buffer[] = [];
  const payloads: Buffer[] = [];
  const digests = p.headerDigest;
  let ttt = 1;
  writes.forEach((w, i) => {
    const edtl = w.blocks * BLOCK;
    const payload = Buffer.alloc(edtl);
    for (let b = 0; b < edtl; b++) payload[b] = (w.seed + b * 7 + (b >> 9)) & 0xff;
    payloads.push(payload);
    const unsolicitedEnd = p.initialR2T ? 0 : Math.min(p.firstBurstLength, edtl);
    const immediate = p.immediateData ? Math.min(w.immediate, p.firstBurstLength, edtl, p.maxRecvDataSegmentLength) : 0;
    const itt = 100 + i;
    let pdus = 0;
    const send = (header: Buffer, data: Buffer, corruptible: boolean): void => {
      const hit = fault.kind === 'digest' && corruptible && fault.write === i && fault.pdu === pdus++;
      parts.push(wire(header, data, digests, hit));
    };
    const followed = unsolicitedEnd > immediate;
    send(writeCommand(itt, 1 + i, i * 64, w.blocks, BLOCK, payload.subarray(0, immediate), !followed), payload.subarray(0, immediate), immediate > 0);
    let dataOuts = 0;
    const burst = (tag: number, from: number, to: number): void => {
      for (let off = from, sn = 0; off < to; sn++) {
        const end = Math.min(to, off + p.maxRecvDataSegmentLength);
        const badSn = fault.kind === 'data-sn' && fault.write === i && fault.pdu === dataOuts;
        dataOuts++;
        send(dataOut(itt, tag, badSn ? sn + 1 : sn, off, end - off, end === to), payload.subarray(off, end), true);
        off = end;
      }
    };
    if (followed) burst(RESERVED_TAG, immediate, unsolicitedEnd);
    for (let off = Math.max(immediate, unsolicitedEnd); off < edtl; off += p.maxBurstLength) {
      burst(ttt++, off, Math.min(edtl, off + p.maxBurstLength));
    }
  });
  return { stream: Buffer.concat(parts), payloads };
}

/**
 * A SCSI Command whose data segment spans reads is taken at its header, so when that
 * segment then fails its digest, the Reject before the drop (ERL0) already counts the
 * command in ExpCmdSN/MaxCmdSN; everything else must match exactly.
 */
function comparable(out: TargetOutput[]): unknown[] {
  return out.map((o) => (o.kind === 'reject' && o.pdu.reason === RejectReason.DATA_DIGEST_ERROR ? { ...o, pdu: { ...o.pdu, expCmdSN: 0, maxCmdSN: 0 } } : o));
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Feeds `stream` in reads of the given sizes (cycled); returns what the target did. */
async function run(p: SessionParams, stream: Buffer, sizes: number[]): Promise<{ out: TargetOutput[]; memory: Buffer; closed: boolean }> {
  const c = new MemoryConnection(p);
  for (let off = 0, i = 0; off < stream.length; i++) {
    const n = sizes[i % sizes.length]!;
    c.push(stream.subarray(off, off + n));
    off += n;
  }
  await settle();
  return { out: c.output(), memory: Buffer.from(c.scsi.memory), closed: c.closed };
}

const params = fc
  .record({
    digests: fc.boolean(),
    maxRecvDataSegmentLength: fc.integer({ min: 512, max: 8192 }),
    firstBurstLength: fc.integer({ min: 512, max: 8192 }),
    extraBurst: fc.integer({ min: 0, max: 8192 }),
    initialR2T: fc.boolean(),
    immediateData: fc.boolean(),
    maxOutstandingR2T: fc.integer({ min: 1, max: 3 }),
  })
  .map(
    (r): SessionParams => ({
      ...new MemoryConnection().params,
      headerDigest: r.digests,
      dataDigest: r.digests,
      maxRecvDataSegmentLength: r.maxRecvDataSegmentLength,
      firstBurstLength: r.firstBurstLength,
      maxBurstLength: r.firstBurstLength + r.extraBurst,
      initialR2T: r.initialR2T,
      immediateData: r.immediateData,
      maxOutstandingR2T: r.maxOutstandingR2T,
    }),
  );

const writes = fc.array(
  fc.record({ blocks: fc.integer({ min: 1, max: 40 }), immediate: fc.integer({ min: 0, max: 20_480 }), seed: fc.integer({ min: 0, max: 255 }) }),
  { minLength: 1, maxLength: 3 },
);

const fault = fc.oneof(
  fc.constant<Fault>({ kind: 'none' }),
  fc.record({ kind: fc.constantFrom('data-sn' as const, 'digest' as const), write: fc.integer({ min: 0, max: 2 }), pdu: fc.integer({ min: 0, max: 2 }) }),
);

afterEach(() => vi.restoreAllMocks());

describe('command data landing in place', () => {
  it('any split of the byte stream into socket reads gives the same data and the same answers', async () => {
    const landing = vi.spyOn(Connection.prototype, 'landing');
    await fc.assert(
      fc.asyncProperty(params, writes, fault, fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }), async (p, ws, f, sizes) => {
        const { stream, payloads } = initiatorStream(p, ws, f.kind === 'digest' && !p.dataDigest ? { kind: 'none' } : f);
        const whole = await run(p, stream, [stream.length]);
        const split = await run(p, stream, sizes);
        expect(comparable(split.out)).toEqual(comparable(whole.out));
        expect(split.memory.equals(whole.memory)).toBe(true);
        expect(split.closed).toBe(whole.closed);
        if (f.kind === 'none' || f.write >= ws.length) {
          // No fault took effect: every write answered GOOD, its data in place.
          expect(whole.closed).toBe(false);
          expect(whole.out.filter((o) => o.kind === 'scsi-response').map((o) => (o.kind === 'scsi-response' ? o.pdu.status : -1))).toEqual(ws.map(() => 0));
          payloads.forEach((d, i) => expect(whole.memory.subarray(i * 64 * BLOCK, i * 64 * BLOCK + d.length).equals(d)).toBe(true));
        }
      }),
      { numRuns: 200 },
    );
    // Segments cut across reads did land in their commands' buffers.
    expect(landing.mock.results.some((r) => r.value !== undefined)).toBe(true);
  });

  it('a landed segment that fails its digest is Rejected and drops the connection; nothing is written', async () => {
    const p: SessionParams = { ...new MemoryConnection().params, headerDigest: true, dataDigest: true, maxRecvDataSegmentLength: 4096, firstBurstLength: 4096, maxBurstLength: 4096 };
    for (const f of [
      { kind: 'digest', write: 0, pdu: 0 }, // the command's immediate data
      { kind: 'digest', write: 0, pdu: 1 }, // the Data-Out after it
    ] as const) {
      const { stream } = initiatorStream(p, [{ blocks: 16, immediate: 4096, seed: 1 }], f);
      const landing = vi.spyOn(Connection.prototype, 'landing');
      const split = await run(p, stream, [300]);
      expect(landing.mock.results.filter((r) => r.value !== undefined)).toHaveLength(f.pdu + 1);
      expect(split.out.map((o) => o.kind)).toEqual(f.pdu === 0 ? ['reject'] : ['r2t', 'reject']);
      expect(split.out.at(-1)).toMatchObject({ kind: 'reject', pdu: { reason: RejectReason.DATA_DIGEST_ERROR } });
      expect(split.closed).toBe(true);
      expect(split.memory.every((b) => b === 0)).toBe(true);
      landing.mockRestore();
    }
  });

  it('lands a segment split across reads in the command buffer, checks its digest there, and keeps the buffer pooled', async () => {
    const p: SessionParams = {
      ...new MemoryConnection().params,
      headerDigest: true,
      dataDigest: true,
      maxRecvDataSegmentLength: 64 * 1024,
      firstBurstLength: 64 * 1024,
      maxBurstLength: 256 * 1024,
      immediateData: true,
      initialR2T: false,
    };
    const blocks = 256; // 128 KiB: a pooled buffer
    const { stream, payloads } = initiatorStream(p, [{ blocks, immediate: 64 * 1024, seed: 9 }], { kind: 'none' });
    const landing = vi.spyOn(Connection.prototype, 'landing');
    const take = vi.spyOn(ioBufferPool, 'take');
    const split = await run(p, stream, [1000, 7, 4096]);
    expect(split.memory.subarray(0, blocks * BLOCK).equals(payloads[0]!)).toBe(true);
    expect(split.out.at(-1)?.kind).toBe('scsi-response');
    // The immediate data and the Data-Out segment landed (neither fits in one read).
    const regions = landing.mock.results.map((r) => r.value as Buffer | undefined).filter((b) => b !== undefined);
    expect(regions).toHaveLength(2);
    const lease = take.mock.results[0]!.value as { buffer: Buffer };
    for (const r of regions) expect(r.buffer).toBe(lease.buffer.buffer);
    // Done: the buffer went back to the pool and is the next one of its class handed out.
    const again = ioBufferPool.take(blocks * BLOCK);
    expect(again.buffer.buffer).toBe(lease.buffer.buffer);
    again.release();
  });
});
