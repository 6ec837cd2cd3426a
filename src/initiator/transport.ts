/**
 * One TCP connection carrying iSCSI PDUs: framing in (the shared PduReader), framing out
 * (header digest, data padding, data digest), and wire byte accounting. Knows nothing of
 * sessions; the owner decodes headers and decides what a PDU means.
 */
import { connect, type Socket } from 'node:net';
import { DIGEST_LENGTH } from '../iscsi/pdu/bhs.js';
import { dataDigest, dataDigestOf, encodeDigest, headerDigest, padLength, paddingFor } from '../iscsi/pdu/segment.js';
import { PduReader, type FramedPdu } from '../iscsi/pdu/pdu-reader.js';
import { IscsiConnectionError, IscsiTimeoutError } from './errors.js';
import { totalLength } from '../util/total-length.js';

/** RFC 7143 §6.1: login PDUs carry at most 8192 bytes of data. */
export const LOGIN_DATA_SEGMENT_LIMIT = 8192;
/** The socket's first read, before the PDU reader names memory: a login response fits. */
const FIRST_READ_BYTES = 64 * 1024;

export interface WireStats {
  /** Bytes written to the socket: headers, digests, data and padding. */
  bytesSent: number;
  /** Bytes read from the socket. */
  bytesReceived: number;
  pdusSent: number;
  pdusReceived: number;
}

export interface TransportHandler {
  onPdu(pdu: FramedPdu): void;
  /** Called once, when the connection is gone (error undefined for a clean close we asked for). */
  onClose(error: IscsiConnectionError | undefined): void;
}

export interface DigestSettings {
  headerDigest: boolean;
  dataDigest: boolean;
  /** Largest data segment we accept (what we declared). */
  maxRecvDataSegmentLength: number;
}

interface HeldInput {
  pdus: FramedPdu[];
  closed: boolean;
  error: IscsiConnectionError | undefined;
}

const NO_HANDLER: TransportHandler = { onPdu: () => undefined, onClose: () => undefined };

export class PduTransport {
  readonly stats: WireStats = { bytesSent: 0, bytesReceived: 0, pdusSent: 0, pdusReceived: 0 };
  private handler: TransportHandler = NO_HANDLER;
  private settings: DigestSettings = { headerDigest: false, dataDigest: false, maxRecvDataSegmentLength: LOGIN_DATA_SEGMENT_LIMIT };
  private readonly reader: PduReader;
  private closed = false;
  private closingCleanly = false;
  /** What arrived between holdUntilHandler() and the next setHandler(). */
  private held: HeldInput | undefined;

  private constructor(private readonly socket: Socket) {
    this.reader = new PduReader(this.settings, {
      onPdu: (pdu) => {
        this.stats.pdusReceived++;
        this.handler.onPdu(pdu);
      },
      onFatal: (reason) => this.fail(new IscsiConnectionError(`target stream unusable: ${reason}`)),
      onDataDigestError: () => this.fail(new IscsiConnectionError('data digest error from target (ErrorRecoveryLevel 0)')),
      onOversizeSegment: (_header, length) =>
        this.fail(
          new IscsiConnectionError(`target sent a ${length}-byte data segment; we declared ${this.settings.maxRecvDataSegmentLength}`),
        ),
    });
    socket.setNoDelay(true);
    socket.on('error', (e) => this.fail(new IscsiConnectionError(`connection error: ${e.message}`, { cause: e })));
    socket.on('close', () => {
      if (this.closingCleanly) this.finish(undefined);
      else this.fail(new IscsiConnectionError('connection closed by target'));
    });
  }

  static connect(host: string, port: number, timeoutMs: number): Promise<PduTransport> {
    return new Promise((resolve, reject) => {
      let transport: PduTransport | undefined;
      // Reads land where the PDU reader says: a large Data-In segment straight in its buffer
      // (see framedSocket). Nothing arrives before the transport exists; the handle's first
      // buffer is asked for earlier, so a spare one serves that read.
      const socket = connect({
        host,
        port,
        onread: {
          buffer: () => transport?.reader.nextReadBuffer() ?? Buffer.allocUnsafe(FIRST_READ_BYTES),
          callback: (n: number, buf: Uint8Array) => {
            transport?.received(n, buf as Buffer);
            return true;
          },
        },
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new IscsiTimeoutError(`connect to ${host}:${port} timed out after ${timeoutMs} ms`, 'connect'));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new IscsiConnectionError(`cannot connect to ${host}:${port}: ${e.message}`, { cause: e }));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        transport = new PduTransport(socket);
        resolve(transport);
      });
    });
  }

  private received(n: number, buf: Buffer): void {
    this.stats.bytesReceived += n;
    this.reader.pushRead(n, buf);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Also gets first whatever holdUntilHandler() kept, in order. */
  setHandler(handler: TransportHandler): void {
    const held = this.held;
    this.held = undefined;
    this.handler = handler;
    if (!held) return;
    for (const pdu of held.pdus) {
      if (this.closed && !held.closed) return; // the handler ended the connection (and heard so)
      handler.onPdu(pdu);
    }
    if (held.closed) handler.onClose(held.error);
  }

  /**
   * Keeps what arrives (PDUs, the connection's end) for the next setHandler. The end of
   * login: PDUs framed behind the final login response in the same read belong to the
   * session, which takes over only after the login's promise settles.
   */
  holdUntilHandler(): void {
    const held: HeldInput = { pdus: [], closed: false, error: undefined };
    this.held = held;
    this.handler = {
      // Copied: the bytes of a socket chunk are not the reader's to lend past this callback.
      onPdu: (pdu) => held.pdus.push({ header: Buffer.from(pdu.header), data: Buffer.from(pdu.data) }),
      onClose: (error) => {
        held.closed = true;
        held.error = error;
      },
    };
  }

  /** Applies from the next PDU in either direction (RFC 7143: digests start after the final login response). */
  configure(settings: DigestSettings): void {
    this.settings = { ...settings };
    this.reader.setLimits(settings);
  }

  /**
   * Writes one PDU. `data` is referenced, not copied: the caller must not change it until
   * the write completes (the data path hands us slices of the caller's own buffer). Several
   * buffers are one data segment, sent back to back.
   */
  send(header: Buffer, data?: Buffer | readonly Buffer[]): void {
    if (this.closed) return;
    const s = this.socket;
    this.holdForTick();
    let bytes = header.length;
    s.write(header);
    if (this.settings.headerDigest) {
      s.write(encodeDigest(headerDigest(header)));
      bytes += DIGEST_LENGTH;
    }
    const pieces = data === undefined || Buffer.isBuffer(data) ? undefined : data;
    const length = pieces ? totalLength(pieces) : (data as Buffer | undefined)?.length ?? 0;
    if (length > 0) {
      if (pieces) for (const piece of pieces) s.write(piece);
      else s.write(data as Buffer);
      const pad = padLength(length);
      if (pad > 0) s.write(paddingFor(length));
      bytes += length + pad;
      if (this.settings.dataDigest) {
        s.write(encodeDigest(pieces ? dataDigestOf(pieces, length) : dataDigest(data as Buffer)));
        bytes += DIGEST_LENGTH;
      }
    }
    this.stats.bytesSent += bytes;
    this.stats.pdusSent++;
  }

  /**
   * Keeps the socket corked for the rest of the current tick: every PDU sent meanwhile (a
   * replication batch issues dozens at once) leaves in one writev, instead of a system call,
   * a packet and a wake-up of the target per header and per data segment.
   */
  private holdForTick(): void {
    if (this.heldForTick) return;
    this.heldForTick = true;
    this.socket.cork();
    // nextTick runs once the microtasks of the current callback are done.
    process.nextTick(this.releaseTick);
  }

  private heldForTick = false;

  private readonly releaseTick = (): void => {
    this.heldForTick = false;
    this.socket.uncork();
  };

  /** Close after flushing what was written; onClose(undefined) follows. */
  close(): void {
    if (this.closed) return;
    this.closingCleanly = true;
    this.socket.end();
    // A peer that never closes its side must not keep us waiting.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** Tear down now; onClose(error) follows. */
  fail(error: IscsiConnectionError): void {
    if (this.closed) return;
    this.reader.stop();
    this.socket.destroy();
    this.finish(error);
  }

  private finish(error: IscsiConnectionError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.stop();
    const handler = this.handler;
    this.handler = NO_HANDLER;
    handler.onClose(error);
  }
}

export type { FramedPdu };
