/**
 * A target Connection over an in-memory socket: the test pushes the initiator's byte stream
 * in whatever chunks it likes (synchronously, as one socket read each) and reads back every
 * byte the target wrote. Logs in with the fake negotiator, so full feature phase starts at once.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { lunToField } from '../../../../src/iscsi/pdu/bhs.js';
import { decodeTargetPdu, type TargetPdu } from '../../../../src/iscsi/pdu/decode.js';
import { encodeLoginRequest } from '../../../../src/iscsi/pdu/login.js';
import { PduReader } from '../../../../src/iscsi/pdu/pdu-reader.js';
import { encodeScsiCommand } from '../../../../src/iscsi/pdu/scsi-command.js';
import { encodeDataOut } from '../../../../src/iscsi/pdu/data-out.js';
import { dataDigest, encodeDigest, headerDigest, paddingFor } from '../../../../src/iscsi/pdu/segment.js';
import type { SessionParams } from '../../../../src/iscsi/session-params.js';
import type { ScsiTargetPort } from '../../../../src/scsi/types.js';
import type { ByteBudget } from '../../../../src/target/byte-budget.js';
import { Connection } from '../../../../src/target/connection.js';
import { SessionRegistry } from '../../../../src/target/session-registry.js';
import { TargetRegistry } from '../../../../src/target/target-registry.js';
import { DEFAULT_LIMITS } from '../../../../src/target/transport-limits.js';
import { FakeScsi } from './fake-scsi.js';
import { TEST_PARAMS, fakeNegotiatorFactory } from './fake-negotiator.js';

class MemorySocket extends EventEmitter {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 50000;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 3260;
  destroyed = false;
  writable = true;
  readonly written: Buffer[] = [];
  /** While stalled, writes stay unsent (a peer that stopped reading): counted here, their callbacks held. */
  stalled = false;
  writableLength = 0;
  private unsentDone: Array<() => void> = [];
  /** While paused, the initiator's bytes wait here as in the kernel's socket buffer. */
  private paused = false;
  private unread: Buffer[] = [];

  deliver(chunk: Buffer): void {
    if (this.paused) this.unread.push(chunk);
    else this.emit('data', chunk);
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    while (!this.paused && this.unread.length > 0) this.emit('data', this.unread.shift()!);
    return this;
  }
  get readingPaused(): boolean {
    return this.paused;
  }

  setNoDelay(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}
  write(chunk: Buffer, done?: () => void): boolean {
    this.written.push(Buffer.from(chunk));
    if (!this.stalled) {
      if (done) queueMicrotask(done);
      return true;
    }
    this.writableLength += chunk.length;
    if (done) this.unsentDone.push(done);
    return false;
  }
  /** The peer reads again: everything unsent goes, and the socket says so. */
  unstall(): void {
    this.stalled = false;
    this.writableLength = 0;
    for (const done of this.unsentDone.splice(0)) done();
    this.emit('drain');
  }
  end(): void {
    this.writable = false;
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.writable = false;
    queueMicrotask(() => this.emit('close'));
    return this;
  }
}

export type TargetOutput = TargetPdu & { data: Buffer };

export class MemoryConnection {
  readonly scsi = new FakeScsi();
  readonly connection: Connection;
  private readonly socket = new MemorySocket();
  readonly params: SessionParams;

  /** `port`: a SCSI layer other than the fake one (the real ScsiTarget); `scsi` is then unused. */
  constructor(
    params: Partial<SessionParams> = {},
    port?: ScsiTargetPort & { readonly name: string },
    context: { bufferMemory?: ByteBudget; dataOutTimeoutMs?: number } = {},
  ) {
    this.params = { ...TEST_PARAMS, ...params };
    const scsi = port ?? this.scsi;
    const targets = new TargetRegistry([{ config: { iqn: scsi.name, allow: [] }, scsi }]);
    this.connection = new Connection(this.socket as unknown as Socket, {
      targets,
      sessions: new SessionRegistry(),
      portalGroupTag: 1,
      limits: DEFAULT_LIMITS,
      nopIntervalMs: 0,
      nopTimeoutMs: 0,
      loginTimeoutMs: 0,
      createNegotiator: fakeNegotiatorFactory(params),
      log: pino({ level: 'silent' }),
      ...context,
    });
    const login = Buffer.from(`InitiatorName=iqn.2026-01.test:client\0TargetName=${scsi.name}\0`);
    this.push(
      wire(
        encodeLoginRequest(
          { transit: true, continue: false, csg: 1, nsg: 3, versionMax: 0, versionMin: 0, isid: Buffer.from([0x40, 0, 0, 0, 0, 1]), tsih: 0, itt: 0, cid: 0, cmdSN: 1, expStatSN: 0 },
          login.length,
        ),
        login,
        false,
      ),
    );
  }

  /** From now on the target's writes stay unsent, as to a peer that stopped reading. */
  stallOutput(): void {
    this.socket.stalled = true;
  }

  resumeOutput(): void {
    this.socket.unstall();
  }

  /** One socket read (kept for later while the target does not read). */
  push(chunk: Buffer): void {
    this.socket.deliver(chunk);
  }

  /** The target stopped reading its socket. */
  get readingPaused(): boolean {
    return this.socket.readingPaused;
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  /** Every PDU the target sent after the login response. */
  output(): TargetOutput[] {
    const out: TargetOutput[] = [];
    const p = this.params;
    const reader = new PduReader(
      { maxRecvDataSegmentLength: 1 << 24, headerDigest: false, dataDigest: false },
      {
        onPdu: (f) => {
          // Digests apply from the first PDU after the login response.
          if (out.length === 0) reader.setLimits({ maxRecvDataSegmentLength: 1 << 24, headerDigest: p.headerDigest, dataDigest: p.dataDigest });
          out.push({ ...decodeTargetPdu(f.header), data: Buffer.from(f.data) });
        },
        onFatal: (reason) => {
          throw new Error(`target output: ${reason}`);
        },
        onDataDigestError: () => {
          throw new Error('target output: data digest error');
        },
        onOversizeSegment: () => undefined,
      },
    );
    for (const w of this.socket.written) reader.push(w);
    return out.slice(1);
  }
}

/** A PDU on the wire: header, [digest], data, padding, [digest]. */
export function wire(header: Buffer, data: Buffer, digests: boolean, corruptDataDigest = false): Buffer {
  const parts = [header];
  if (digests) parts.push(encodeDigest(headerDigest(header)));
  if (data.length > 0) {
    parts.push(data, paddingFor(data.length));
    if (digests) parts.push(encodeDigest(dataDigest(data) ^ (corruptDataDigest ? 1 : 0)));
  }
  return Buffer.concat(parts);
}

export function writeCommand(itt: number, cmdSN: number, lba: number, blocks: number, blockSize: number, immediate: Buffer, final: boolean): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x2a;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(blocks, 7);
  return encodeScsiCommand(
    { immediate: false, final, read: false, write: true, attribute: 1, lun: lunToField(0), itt, expectedLength: blocks * blockSize, cmdSN, expStatSN: 1, cdb },
    immediate.length,
  );
}

export function readCommand(itt: number, cmdSN: number, lba: number, blocks: number, blockSize: number): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x28;
  cdb.writeUInt32BE(lba, 2);
  cdb.writeUInt16BE(blocks, 7);
  return encodeScsiCommand(
    { immediate: false, final: true, read: true, write: false, attribute: 1, lun: lunToField(0), itt, expectedLength: blocks * blockSize, cmdSN, expStatSN: 1, cdb },
    0,
  );
}

export function dataOut(itt: number, ttt: number, dataSN: number, offset: number, length: number, final: boolean): Buffer {
  return encodeDataOut({ final, lun: 0n, itt, ttt, expStatSN: 1, dataSN, bufferOffset: offset }, length);
}
