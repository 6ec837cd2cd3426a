/** Reading and checking runs of bytes for the point store, in bounded pieces. */
import type { BlockDevice } from '../../block/device.js';
import type { DurableFile } from '../../block/durable-file.js';
import { IoBudget } from '../../util/io-budget.js';

/** The largest buffer the store reads or writes at once (a copy, an export, a restore work in pieces of it). */
export const MAX_PIECE_BYTES = 4 * 1024 * 1024;
/** Reads at least this long ask the device where its holes are first, and skip them. */
const HOLE_QUERY_BYTES = 1024 * 1024;
const ZEROES = Buffer.alloc(64 * 1024);

/** Fills `buf` from `device` at `offset`; long reads skip the device's holes (zeroes without I/O). */
export async function readSkippingHoles(device: BlockDevice, buf: Buffer, offset: number): Promise<void> {
  if (buf.length < HOLE_QUERY_BYTES) return device.read(buf, offset);
  const reads: Promise<void>[] = [];
  for (let done = 0; done < buf.length; ) {
    const { mapped, length } = await device.allocation(offset + done, buf.length - done);
    const n = length > 0 ? Math.min(length, buf.length - done) : buf.length - done;
    const part = buf.subarray(done, done + n);
    if (mapped || length <= 0) reads.push(device.read(part, offset + done));
    else part.fill(0);
    done += n;
  }
  await Promise.all(reads);
}

/** Whether every byte of `b` is zero (memcmp against a shared zero buffer). */
export function allZero(b: Buffer): boolean {
  for (let at = 0; at < b.length; at += ZEROES.length) {
    const n = Math.min(ZEROES.length, b.length - at);
    if (!b.subarray(at, at + n).equals(ZEROES.subarray(0, n))) return false;
  }
  return true;
}

/** Fills `buf` from `file` at `position`; past the end of the file, zeroes. */
export async function readFully(file: DurableFile, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await file.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done < buf.length) buf.fill(0, done);
}

/** Writes all of `buf` to `file` at `position`. */
export async function writeFully(file: DurableFile, buf: Buffer, position: number): Promise<void> {
  for (let done = 0; done < buf.length; ) {
    const { bytesWritten } = await file.write(buf, done, buf.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`short write at ${position + done}`);
    done += bytesWritten;
  }
}


/** The budget a point's copies run in: 32 pieces at most, 16 MiB of their buffers. */
export function pointIoBudget(): IoBudget {
  return new IoBudget(32, () => 4 * MAX_PIECE_BYTES);
}
