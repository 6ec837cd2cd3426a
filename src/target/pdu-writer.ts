/**
 * Puts PDUs on the socket: header, header digest, data, padding, data digest, each as its
 * own write inside one cork/uncork, so payload buffers go to the kernel without copying.
 * The socket also stays corked for the rest of the current tick: every PDU sent while
 * handling one batch of completions (or one chunk of commands) leaves in a single writev,
 * instead of one system call (and one wake-up of the initiator) per response.
 */
import type { Socket } from 'node:net';
import { dataDigest, encodeDigest, headerDigest, padLength, paddingFor } from '../iscsi/pdu/segment.js';

export class PduWriter {
  headerDigest = false;
  dataDigest = false;
  private corked = 0;
  private heldForTick = false;
  private draining?: Promise<void>;

  constructor(private readonly socket: Socket) {}

  /** Batch several PDUs into one writev. Calls nest. */
  cork(): void {
    if (this.corked++ === 0) this.socket.cork();
  }

  uncork(): void {
    if (--this.corked === 0) this.socket.uncork();
  }

  private readonly releaseTick = (): void => {
    if (!this.heldForTick) return;
    this.heldForTick = false;
    this.socket.uncork();
  };

  /** Hand what this tick has queued to the kernel now (before destroying the socket). */
  flush(): void {
    this.releaseTick();
  }

  get writable(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  /** Bytes queued on the socket and not yet handed to the kernel (a peer that stops reading lets them grow). */
  get unsent(): number {
    return this.socket.writableLength;
  }

  /** Resolves once the socket has handed everything queued to the kernel, or closed. */
  drained(): Promise<void> {
    if (this.socket.writableLength === 0 || !this.writable) return Promise.resolve();
    return (this.draining ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        this.draining = undefined;
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    }));
  }

  /** `done` is called once the socket no longer needs `data` (written, or dropped with the connection). */
  send(header: Buffer, data?: Buffer, done?: () => void): void {
    if (!this.writable) {
      done?.();
      return;
    }
    if (!this.heldForTick) {
      // Released in nextTick, which runs once the current callback's microtasks are done.
      this.heldForTick = true;
      this.socket.cork();
      process.nextTick(this.releaseTick);
    }
    this.cork();
    this.socket.write(header);
    if (this.headerDigest) this.socket.write(encodeDigest(headerDigest(header)));
    if (data && data.length > 0) {
      this.socket.write(data, done);
      const pad = padLength(data.length);
      if (pad > 0) this.socket.write(paddingFor(data.length));
      if (this.dataDigest) this.socket.write(encodeDigest(dataDigest(data)));
    } else {
      done?.();
    }
    this.uncork();
  }
}
