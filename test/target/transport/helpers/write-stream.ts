/** Host WRITE streams for the write-hold tests: whole WRITE(10)s on the wire, pushed in reads of chosen sizes. */
import { RESERVED_TAG } from '../../../../src/iscsi/pdu/opcodes.js';
import { type MemoryConnection, dataOut, wire, writeCommand } from './memory-connection.js';

export interface Write {
  lba: number;
  blocks: number;
  fill: number;
}

/** WRITE(10)s sent whole without R2Ts: immediate data, then unsolicited Data-Out (InitialR2T=No). */
export function stream(writes: Write[], firstItt: number, mrdsl: number, blockSize: number): Buffer {
  const parts: Buffer[] = [];
  writes.forEach((w, i) => {
    const itt = firstItt + i;
    const payload = Buffer.alloc(w.blocks * blockSize);
    for (let b = 0; b < payload.length; b += blockSize) payload.fill((w.fill + b / blockSize) & 0xff, b, b + blockSize);
    const immediate = payload.subarray(0, Math.min(mrdsl, payload.length));
    parts.push(wire(writeCommand(itt, itt, w.lba, w.blocks, blockSize, immediate, immediate.length === payload.length), immediate, false));
    for (let off = immediate.length, sn = 0; off < payload.length; off += mrdsl, sn++) {
      const seg = payload.subarray(off, Math.min(payload.length, off + mrdsl));
      parts.push(wire(dataOut(itt, RESERVED_TAG, sn, off, seg.length, off + seg.length === payload.length), seg, false));
    }
  });
  return Buffer.concat(parts);
}

/** Pushes `bytes` in reads of the given sizes (cycled), so segments span reads and land in place. */
export function push(c: MemoryConnection, bytes: Buffer, sizes: number[]): void {
  for (let off = 0, i = 0; off < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    c.push(bytes.subarray(off, off + n));
    off += n;
  }
}
