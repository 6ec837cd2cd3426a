/**
 * A bare TCP connection for throwing bytes at the target. It frames what the target
 * sends back only far enough to learn StatSN/ExpCmdSN and count PDUs by opcode; data
 * segments are skipped, so a chatty target costs us no memory.
 */
import { connect, type Socket } from 'node:net';
import { BHS_LENGTH, readAhsLength, readDataSegmentLength } from '../../src/iscsi/pdu/bhs.js';
import { Opcode } from '../../src/iscsi/pdu/opcodes.js';
import { padLength } from '../../src/iscsi/pdu/segment.js';
import { isolateStream } from './isolation.js';
import { validLoginRequest, type LoginIdentity } from './login-cases.js';

export interface LoggedIn {
  cmdSN: number;
  expStatSN: number;
}

export class RawConnection {
  closed = false;
  /** Latest ExpCmdSN and StatSN the target reported. */
  expCmdSN: number | undefined;
  statSN: number | undefined;
  readonly received = new Map<number, number>();
  private header = Buffer.alloc(BHS_LENGTH);
  private headerFill = 0;
  private skip = 0;
  private headerWaiters: Array<(header: Buffer | undefined) => void> = [];
  private readonly closeWaiters: Array<() => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.headerWaiters.splice(0)) w(undefined);
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  static open(host: string, port: number, timeoutMs: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawConnection(socket));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /**
   * Sends bytes after isolating their headers (see isolation.ts). Resolves false when the
   * stream is out of step afterwards, so the caller must not send more on it. Never
   * waits longer than `timeoutMs` for the target to take the bytes.
   */
  send(bytes: Buffer, timeoutMs: number): Promise<boolean> {
    const inStep = isolateStream(bytes);
    if (this.closed) return Promise.resolve(inStep);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // The target stopped reading; that is its right, but we will not wait for it.
        this.destroy();
        resolve(false);
      }, timeoutMs);
      this.socket.write(bytes, () => {
        clearTimeout(timer);
        resolve(inStep);
      });
    });
  }

  /** Sends a correct login and waits for the final Login Response. */
  async login(identity: LoginIdentity, timeoutMs: number): Promise<LoggedIn | undefined> {
    const cmdSN = 1;
    await this.send(validLoginRequest(identity, 0x1000, cmdSN), timeoutMs);
    const header = await this.nextHeader(timeoutMs);
    if (!header || (header[0]! & 0x3f) !== Opcode.LOGIN_RESPONSE || header[36] !== 0 || (header[1]! & 0x83) !== 0x83) return undefined;
    return { cmdSN: header.readUInt32BE(28), expStatSN: (header.readUInt32BE(24) + 1) >>> 0 };
  }

  /** Half-closes and waits (bounded) for the target to close too; true if it did. */
  async finish(timeoutMs: number): Promise<boolean> {
    if (this.closed) return true;
    const closed = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    this.socket.end();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const ok = await Promise.race([closed.then(() => true), timedOut]);
    clearTimeout(timer);
    this.destroy();
    return ok;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private nextHeader(timeoutMs: number): Promise<Buffer | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.headerWaiters = this.headerWaiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, timeoutMs);
      const waiter = (h: Buffer | undefined): void => {
        clearTimeout(timer);
        resolve(h);
      };
      this.headerWaiters.push(waiter);
    });
  }

  private onData(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.skip -= n;
        off += n;
        continue;
      }
      const n = Math.min(BHS_LENGTH - this.headerFill, chunk.length - off);
      chunk.copy(this.header, this.headerFill, off, off + n);
      this.headerFill += n;
      off += n;
      if (this.headerFill < BHS_LENGTH) break;
      this.headerFill = 0;
      this.onHeader(this.header);
      const dataLength = readDataSegmentLength(this.header);
      this.skip = readAhsLength(this.header) + dataLength + padLength(dataLength);
      this.header = Buffer.alloc(BHS_LENGTH);
    }
  }

  private onHeader(header: Buffer): void {
    const opcode = header[0]! & 0x3f;
    this.received.set(opcode, (this.received.get(opcode) ?? 0) + 1);
    // Every target PDU but the R2T and Data-In without status carries StatSN at 24; all carry ExpCmdSN at 28.
    if (opcode !== Opcode.LOGIN_RESPONSE || header[36] === 0) this.expCmdSN = header.readUInt32BE(28);
    if (opcode !== Opcode.R2T && opcode !== Opcode.DATA_IN) this.statSN = header.readUInt32BE(24);
    const waiter = this.headerWaiters.shift();
    if (waiter) waiter(header);
  }
}
