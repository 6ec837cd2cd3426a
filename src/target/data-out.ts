/**
 * Gathering a write's Data-Out (RFC 7143 §4.2.3): immediate data, then the unsolicited
 * sequence (TTT 0xffffffff, up to FirstBurstLength), then R2T-solicited bursts of at most
 * MaxBurstLength, at most MaxOutstandingR2T at a time. Every PDU must continue its sequence
 * exactly (DataSN, buffer offset, F bit); anything else is a protocol error.
 * Bytes beyond `wanted` (the initiator's EDTL exceeded what the command needs) are accepted
 * and ignored; they are reported as residual underflow.
 *
 * A large command's buffer is pooled memory. A segment that spans socket chunks lands in it
 * straight from the socket (the reader asks `landingFor` where a PDU would go, checking the
 * same rules as acceptDataOut without applying them); accepting a segment that is already in
 * place copies nothing.
 */
import type { DataOutPdu } from '../iscsi/pdu/data-out.js';
import { RESERVED_TAG } from '../iscsi/pdu/opcodes.js';
import { ioBufferPool, type BufferLease, type BufferPool } from '../util/buffer-pool.js';

export interface R2tRequest {
  ttt: number;
  r2tSN: number;
  offset: number;
  length: number;
}

export interface DataOutPlan {
  /** Bytes the command will consume: min(EDTL, dataOutLength). The buffer has this size. */
  wanted: number;
  /** The initiator's Expected Data Transfer Length for the write. */
  expectedLength: number;
  /** Whether unsolicited Data-Out PDUs follow the command (InitialR2T=No and F=0). */
  unsolicitedFollows: boolean;
  firstBurstLength: number;
  maxBurstLength: number;
  maxOutstandingR2T: number;
}

interface Burst {
  offset: number;
  length: number;
  received: number;
  dataSN: number;
}

export class DataOutCollector {
  /** Allocated on first use; see place(). */
  private buf?: Buffer;
  private leased?: BufferLease;
  private unsolicitedOpen: boolean;
  private readonly unsolicitedLimit: number;
  private unsolicitedOffset = 0;
  private unsolicitedDataSN = 0;
  private nextR2tOffset = 0;
  private r2tCount = 0;
  /** R2T bursts not yet complete, by TTT; made at the first R2T (most small writes have none). */
  private outstanding?: Map<number, Burst>;

  constructor(
    private readonly plan: DataOutPlan,
    private readonly pool: BufferPool = ioBufferPool,
  ) {
    this.unsolicitedOpen = plan.unsolicitedFollows;
    this.unsolicitedLimit = Math.min(plan.firstBurstLength, plan.expectedLength);
  }

  /** The command's data, `wanted` bytes. */
  get buffer(): Buffer {
    if (!this.buf) {
      const lease = this.pool.take(this.plan.wanted);
      this.buf = lease.buffer;
      if (lease.pooled) this.leased = lease;
    }
    return this.buf;
  }

  /** The pooled memory behind `buffer`, if any: the collector's owner releases it when the command is done. */
  get lease(): BufferLease | undefined {
    return this.leased;
  }

  /** R2Ts sent so far (part of ExpDataSN in the SCSI Response). */
  get r2tsSent(): number {
    return this.r2tCount;
  }

  get complete(): boolean {
    return !this.unsolicitedOpen && !this.outstanding?.size && this.nextR2tOffset >= this.plan.wanted;
  }

  /** Where `length` bytes of immediate data would land, if acceptImmediate will take them whole. */
  immediateLanding(length: number): Buffer | undefined {
    return this.checkImmediate(length) === undefined ? this.region(0, length) : undefined;
  }

  /** Immediate data: the start of the unsolicited burst. Returns an error message or undefined. */
  acceptImmediate(data: Buffer): string | undefined {
    const err = this.checkImmediate(data.length);
    if (err) return err;
    this.place(0, data);
    this.unsolicitedOffset = data.length;
    // Immediate data that fills the whole unsolicited burst leaves nothing to follow.
    if (data.length === this.unsolicitedLimit) this.unsolicitedOpen = false;
    if (!this.unsolicitedOpen) this.nextR2tOffset = data.length;
    return undefined;
  }

  /** Where this Data-Out's `length` bytes would land, if acceptDataOut will take them whole. */
  landingFor(pdu: DataOutPdu, length: number): Buffer | undefined {
    return this.check(pdu, length) === undefined ? this.region(pdu.bufferOffset, length) : undefined;
  }

  /** Returns an error message (protocol error) or undefined. */
  acceptDataOut(pdu: DataOutPdu, data: Buffer): string | undefined {
    const err = this.check(pdu, data.length);
    if (err) return err;
    this.place(pdu.bufferOffset, data);
    if (pdu.ttt === RESERVED_TAG) {
      this.unsolicitedOffset += data.length;
      this.unsolicitedDataSN++;
      if (pdu.final) {
        this.unsolicitedOpen = false;
        this.nextR2tOffset = this.unsolicitedOffset;
      }
      return undefined;
    }
    const burst = this.outstanding!.get(pdu.ttt)!;
    burst.received += data.length;
    burst.dataSN++;
    if (burst.received === burst.length) this.outstanding!.delete(pdu.ttt);
    return undefined;
  }

  private checkImmediate(length: number): string | undefined {
    if (length > this.unsolicitedLimit) return `immediate data ${length} exceeds min(FirstBurstLength, EDTL)`;
    return undefined;
  }

  /** Whether a Data-Out of `length` bytes continues its sequence exactly; an error message if not. */
  private check(pdu: DataOutPdu, length: number): string | undefined {
    if (pdu.ttt === RESERVED_TAG) {
      if (!this.unsolicitedOpen) return 'unsolicited Data-Out not expected';
      if (pdu.dataSN !== this.unsolicitedDataSN) return `DataSN ${pdu.dataSN}, expected ${this.unsolicitedDataSN}`;
      if (pdu.bufferOffset !== this.unsolicitedOffset) {
        return `buffer offset ${pdu.bufferOffset}, expected ${this.unsolicitedOffset}`;
      }
      const end = this.unsolicitedOffset + length;
      if (end > this.unsolicitedLimit) return 'unsolicited data beyond FirstBurstLength';
      if (end === this.unsolicitedLimit && !pdu.final) return 'F bit missing at the end of unsolicited data';
      return undefined;
    }
    const burst = this.outstanding?.get(pdu.ttt);
    if (!burst) return `Data-Out for unknown TTT 0x${pdu.ttt.toString(16)}`;
    if (pdu.dataSN !== burst.dataSN) return `DataSN ${pdu.dataSN}, expected ${burst.dataSN}`;
    if (pdu.bufferOffset !== burst.offset + burst.received) {
      return `buffer offset ${pdu.bufferOffset}, expected ${burst.offset + burst.received}`;
    }
    if (burst.received + length > burst.length) return 'Data-Out beyond the R2T window';
    const ends = burst.received + length === burst.length;
    if (pdu.final !== ends) return ends ? 'F bit missing at the end of a burst' : 'F bit before the end of a burst';
    return undefined;
  }

  /** R2Ts to send now; `allocateTtt` gives connection-unique target transfer tags. */
  nextR2ts(allocateTtt: () => number): R2tRequest[] {
    const out: R2tRequest[] = [];
    if (this.unsolicitedOpen || this.nextR2tOffset >= this.plan.wanted) return out;
    const outstanding = (this.outstanding ??= new Map());
    while (outstanding.size < this.plan.maxOutstandingR2T && this.nextR2tOffset < this.plan.wanted) {
      const length = Math.min(this.plan.maxBurstLength, this.plan.wanted - this.nextR2tOffset);
      const r2t: R2tRequest = { ttt: allocateTtt(), r2tSN: this.r2tCount++, offset: this.nextR2tOffset, length };
      outstanding.set(r2t.ttt, { offset: r2t.offset, length, received: 0, dataSN: 0 });
      this.nextR2tOffset += length;
      out.push(r2t);
    }
    return out;
  }

  /** `length` bytes of the buffer at `offset`; none for a segment reaching past `wanted` (place() trims those). */
  private region(offset: number, length: number): Buffer | undefined {
    if (length === 0 || offset + length > this.plan.wanted) return undefined;
    return this.buffer.subarray(offset, offset + length);
  }

  /** Copies the part of `data` at `offset` that falls inside the buffer. */
  private place(offset: number, data: Buffer): void {
    const wanted = this.plan.wanted;
    if (offset >= wanted) return;
    if (!this.buf && offset === 0 && data.length >= wanted) {
      // One PDU carries everything (typical of small writes with immediate data): use its
      // segment in place instead of allocating and copying. Sequence checks put any later
      // data at offsets >= wanted, which are ignored above, so the view is never written.
      this.buf = data.length === wanted ? data : data.subarray(0, wanted);
      return;
    }
    const buf = this.buffer;
    // Landed there straight from the socket (region()): nothing to copy.
    if (data.buffer === buf.buffer && data.byteOffset === buf.byteOffset + offset) return;
    data.copy(buf, offset, 0, Math.min(data.length, wanted - offset));
  }
}
