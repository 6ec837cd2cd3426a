/**
 * Puts PDUs on the socket: header, header digest, data, padding, data digest, each as its
 * own write inside one cork/uncork, so payload buffers go to the kernel without copying.
 */
import type { Socket } from 'node:net';
import { dataDigest, encodeDigest, headerDigest, padLength, paddingFor } from '../pdu/segment.js';

export class PduWriter {
  headerDigest = false;
  dataDigest = false;
  private corked = 0;

  constructor(private readonly socket: Socket) {}

  /** Batch several PDUs into one writev. Calls nest. */
  cork(): void {
    if (this.corked++ === 0) this.socket.cork();
  }

  uncork(): void {
    if (--this.corked === 0) this.socket.uncork();
  }

  get writable(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  send(header: Buffer, data?: Buffer): void {
    if (!this.writable) return;
    this.cork();
    this.socket.write(header);
    if (this.headerDigest) this.socket.write(encodeDigest(headerDigest(header)));
    if (data && data.length > 0) {
      this.socket.write(data);
      const pad = padLength(data.length);
      if (pad > 0) this.socket.write(paddingFor(data.length));
      if (this.dataDigest) this.socket.write(encodeDigest(dataDigest(data)));
    }
    this.uncork();
  }
}
