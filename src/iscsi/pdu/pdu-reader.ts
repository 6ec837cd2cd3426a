/**
 * Incremental PDU framer over socket chunks: BHS(48) + AHS + [header digest] + data
 * segment + pad + [data digest] (RFC 7143 §11.2). A PDU wholly inside one chunk is
 * delivered as subarrays of that chunk (no copy). A data segment spanning chunks is copied
 * once, chunk by chunk, into a buffer of exactly its size: the one the sink names for it
 * (landing: a write command's own buffer), else a new one. Our limit bounds its size before
 * anything is allocated; the digest is checked over the bytes where they landed.
 *
 * Fed by a socket that reads into memory the reader names (`nextReadBuffer`/`pushRead`,
 * net.Socket's `onread`), a large segment's bytes go from the kernel straight to where they
 * land, with no chunk allocated and no copy: the kernel's one copy is all a 1 MiB write pays,
 * as in tgt. Other reads go to a scratch chunk, reused until a PDU delivered from it is
 * still referenced.
 */
import { BHS_LENGTH, DIGEST_LENGTH, readAhsLength, readDataSegmentLength } from './bhs.js';
import { dataDigest, headerDigest, padLength, readDigest } from './segment.js';

export interface FramedPdu {
  /** BHS + AHS, without the header digest. */
  header: Buffer;
  /** Data segment without padding or digest. */
  data: Buffer;
}

export interface FramerLimits {
  /** Largest DataSegmentLength we accept (what we declared as MaxRecvDataSegmentLength). */
  maxRecvDataSegmentLength: number;
  headerDigest: boolean;
  dataDigest: boolean;
}

export interface PduSink {
  onPdu(pdu: FramedPdu): void;
  /** The stream can no longer be trusted (header digest error): the connection must drop. */
  onFatal(reason: string): void;
  /** The PDU was framed but its data digest is wrong; the PDU is discarded. */
  onDataDigestError(header: Buffer): void;
  /** DataSegmentLength exceeds our limit; its data is skipped unbuffered, then framing resumes. */
  onOversizeSegment(header: Buffer, length: number): void;
  /**
   * The header of a PDU whose data segment (`length` bytes, within our limit) is not all in
   * the current chunk: return exactly `length` bytes of memory for the segment to land in,
   * or undefined for a new buffer. Either way the reader reports that PDU next, through
   * onPdu (`data` being that memory) or onDataDigestError, unless it is stopped first; the
   * memory may hold part of the segment, or a segment that failed its digest, meanwhile.
   */
  landing?(header: Buffer, length: number): Buffer | undefined;
}

const enum State {
  Idle,
  Header,
  Data,
  Skip,
}

const EMPTY = Buffer.alloc(0);
/** Scratch chunk size: what Node's own socket reads use. */
const SCRATCH_BYTES = 64 * 1024;
/**
 * A read into scratch this small is delivered from a copy of exactly its size (as Node's
 * own socket reads do), so scratch stays reusable and a held command header does not pin 64 KiB.
 */
const COPIED_READ_MAX_BYTES = 16 * 1024;
/** Segment bytes still to come before a read goes straight to their landing rather than through scratch. */
const DIRECT_MIN_BYTES = 8 * 1024;

export class PduReader {
  private limits: FramerLimits;
  private state = State.Idle;
  private stopped = false;
  /** The header of a PDU that spans chunks. */
  private headerBuf: Buffer = EMPTY;
  private headerFill = 0;
  /** Header length without its digest, known once the BHS is in. */
  private headerLength = 0;
  /** Where a spanning data segment lands, and how much of it is in. */
  private dataBuf: Buffer = EMPTY;
  private dataFill = 0;
  /** Padding and data digest after a spanning segment. */
  private readonly tail = Buffer.alloc(DIGEST_LENGTH + 3);
  private tailLength = 0;
  private tailFill = 0;
  private skipRemaining = 0;
  /** Memory for reads that do not go straight to a landing (see nextReadBuffer). */
  private scratch = EMPTY;
  /** A PDU delivered from the current chunk refers to its memory: the next read needs a fresh scratch. */
  private chunkLent = false;
  /** The last segment landed by direct reads: the next PDU is likely another such (Data-Out after Data-Out). */
  private streaming = false;

  constructor(
    limits: FramerLimits,
    private readonly sink: PduSink,
  ) {
    this.limits = { ...limits };
  }

  /** New limits apply from the next PDU (e.g. digests switched on at the end of login). */
  setLimits(limits: FramerLimits): void {
    this.limits = { ...limits };
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Where the next socket read should put its bytes: the rest of a large segment's landing,
   * else scratch — only a header's worth while segments are streaming in, so that the
   * segment after the header is read straight to its landing too.
   */
  nextReadBuffer(): Buffer {
    const dataLeft = this.state === State.Data ? this.dataBuf.length - this.dataFill : 0;
    if (dataLeft >= DIRECT_MIN_BYTES) {
      this.streaming = true;
      return this.dataBuf.subarray(this.dataFill);
    }
    if (this.chunkLent || this.scratch.length === 0) {
      this.scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
      this.chunkLent = false;
    }
    if (this.streaming && dataLeft === 0 && (this.state === State.Idle || this.state === State.Data)) {
      const tailLeft = this.state === State.Data ? this.tailLength - this.tailFill : 0;
      return this.scratch.subarray(0, tailLeft + BHS_LENGTH + this.headerDigestLength());
    }
    return this.scratch;
  }

  /** `n` bytes were read into `buf`, the memory nextReadBuffer gave last. */
  pushRead(n: number, buf: Buffer): void {
    if (this.stopped) return;
    if (this.state === State.Data && buf.buffer === this.dataBuf.buffer && buf.byteOffset === this.dataBuf.byteOffset + this.dataFill) {
      this.dataFill += n;
      if (this.dataFill === this.dataBuf.length && this.tailLength === 0) this.fillData(EMPTY, 0);
      return;
    }
    // Streaming goes on only while headers keep leading to large segments (set again by the next direct read).
    this.streaming = false;
    if (n > COPIED_READ_MAX_BYTES) return this.push(buf.subarray(0, n));
    this.push(Buffer.from(buf.subarray(0, n)));
    // Whatever was delivered refers to the copy.
    this.chunkLent = false;
  }

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.stopped) {
      switch (this.state) {
        case State.Idle:
          off = this.startPdu(chunk, off);
          break;
        case State.Header:
          off = this.fillHeader(chunk, off);
          break;
        case State.Data:
          off = this.fillData(chunk, off);
          break;
        case State.Skip: {
          const n = Math.min(this.skipRemaining, chunk.length - off);
          this.skipRemaining -= n;
          off += n;
          if (this.skipRemaining === 0) this.state = State.Idle;
          break;
        }
      }
    }
  }

  private headerDigestLength(): number {
    return this.limits.headerDigest ? DIGEST_LENGTH : 0;
  }

  /** Bytes after the header (and its digest) for a segment of `length` bytes. */
  private dataTotal(length: number): number {
    if (length === 0) return 0;
    return length + padLength(length) + (this.limits.dataDigest ? DIGEST_LENGTH : 0);
  }

  private startPdu(chunk: Buffer, off: number): number {
    const avail = chunk.length - off;
    if (avail >= BHS_LENGTH) {
      const headerLength = BHS_LENGTH + readAhsLength(chunk, off);
      const headerEnd = off + headerLength + this.headerDigestLength();
      if (headerEnd <= chunk.length) {
        const header = chunk.subarray(off, off + headerLength);
        if (!this.headerTrusted(chunk, off, headerLength)) return chunk.length;
        const length = readDataSegmentLength(header);
        if (length > this.limits.maxRecvDataSegmentLength) return this.beginSkip(header, length, headerEnd);
        const total = this.dataTotal(length);
        if (headerEnd + total <= chunk.length) {
          this.chunkLent = true;
          this.deliver(header, chunk, headerEnd, length, chunk, headerEnd + length + padLength(length));
          return headerEnd + total;
        }
        this.beginData(Buffer.from(header), length);
        return this.stopped ? chunk.length : this.fillData(chunk, headerEnd);
      }
    }
    // Slow path: the header spans chunks. Copy the BHS first; its AHS length sizes the rest.
    this.headerBuf = Buffer.allocUnsafe(BHS_LENGTH);
    this.headerFill = 0;
    this.headerLength = 0;
    this.state = State.Header;
    return this.fillHeader(chunk, off);
  }

  private fillHeader(chunk: Buffer, off: number): number {
    const n = Math.min(this.headerBuf.length - this.headerFill, chunk.length - off);
    chunk.copy(this.headerBuf, this.headerFill, off, off + n);
    this.headerFill += n;
    off += n;
    if (this.headerFill < this.headerBuf.length) return off;
    if (this.headerLength === 0) {
      this.headerLength = BHS_LENGTH + readAhsLength(this.headerBuf);
      const full = this.headerLength + this.headerDigestLength();
      if (full > BHS_LENGTH) {
        const grown = Buffer.allocUnsafe(full);
        this.headerBuf.copy(grown, 0, 0, BHS_LENGTH);
        this.headerBuf = grown;
        return off;
      }
    }
    // Whole header (and digest) in hand.
    if (!this.headerTrusted(this.headerBuf, 0, this.headerLength)) return chunk.length;
    const header = this.headerBuf.subarray(0, this.headerLength);
    const length = readDataSegmentLength(header);
    if (length > this.limits.maxRecvDataSegmentLength) return this.beginSkip(header, length, off);
    if (length === 0) {
      this.state = State.Idle;
      this.headerBuf = EMPTY;
      this.sink.onPdu({ header, data: EMPTY });
      return off;
    }
    this.beginData(header, length);
    return off;
  }

  private beginData(header: Buffer, length: number): void {
    this.headerBuf = header;
    this.headerLength = header.length;
    const target = this.sink.landing?.(header, length);
    if (target && target.length !== length) throw new RangeError(`landing of ${target.length} bytes for a ${length}-byte segment`);
    this.dataBuf = target ?? Buffer.allocUnsafe(length);
    this.dataFill = 0;
    this.tailLength = this.dataTotal(length) - length;
    this.tailFill = 0;
    this.state = State.Data;
  }

  private fillData(chunk: Buffer, off: number): number {
    const data = this.dataBuf;
    if (this.dataFill < data.length) {
      const n = Math.min(data.length - this.dataFill, chunk.length - off);
      chunk.copy(data, this.dataFill, off, off + n);
      this.dataFill += n;
      off += n;
      if (this.dataFill < data.length) return off;
    }
    if (this.tailFill < this.tailLength) {
      const t = Math.min(this.tailLength - this.tailFill, chunk.length - off);
      chunk.copy(this.tail, this.tailFill, off, off + t);
      this.tailFill += t;
      off += t;
      if (this.tailFill < this.tailLength) return off;
    }
    const header = this.headerBuf;
    this.headerBuf = EMPTY;
    this.dataBuf = EMPTY;
    this.deliver(header, data, 0, data.length, this.tail, padLength(data.length));
    return off;
  }

  private beginSkip(header: Buffer, length: number, off: number): number {
    this.skipRemaining = this.dataTotal(length);
    this.state = this.skipRemaining > 0 ? State.Skip : State.Idle;
    this.sink.onOversizeSegment(Buffer.from(header), length);
    return off;
  }

  /** Checks the header digest (when negotiated); on failure stops the reader. */
  private headerTrusted(buf: Buffer, off: number, headerLength: number): boolean {
    if (!this.limits.headerDigest) return true;
    const expected = headerDigest(buf.subarray(off, off + headerLength));
    if (readDigest(buf, off + headerLength) === expected) return true;
    this.stopped = true;
    this.state = State.Idle;
    this.sink.onFatal('header digest error');
    return false;
  }

  /** `length` bytes at `dataOff` of `buf`; the data digest (when negotiated) at `digestOff` of `digestBuf`. */
  private deliver(header: Buffer, buf: Buffer, dataOff: number, length: number, digestBuf: Buffer, digestOff: number): void {
    this.state = State.Idle;
    const data = length === 0 ? EMPTY : dataOff === 0 && length === buf.length ? buf : buf.subarray(dataOff, dataOff + length);
    if (length > 0 && this.limits.dataDigest && readDigest(digestBuf, digestOff) !== dataDigest(data)) {
      this.sink.onDataDigestError(header);
      return;
    }
    this.sink.onPdu({ header, data });
  }
}
