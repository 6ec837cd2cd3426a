/** Reading and checking runs of bytes for the point store, in bounded pieces. */
import type { BlockDevice } from '../../block/device.js';
import type { DurableFile } from '../../block/durable-file.js';

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

/**
 * Runs I/O tasks concurrently within a budget: at most `tasks` in flight and at most
 * `bytes` of their buffers. `start` waits for room, then starts the task without waiting
 * for it; `drain` waits for all and throws the first failure (after which `start` throws).
 */
export class IoBudget {
  private running = 0;
  private used = 0;
  private readonly inflight = new Set<Promise<void>>();
  private waiters: Array<() => void> = [];
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly tasks = 32,
    private readonly bytes = 4 * MAX_PIECE_BYTES,
  ) {}

  async start(bytes: number, task: () => Promise<void>): Promise<void> {
    while (!this.failure && this.running > 0 && (this.running >= this.tasks || this.used + bytes > this.bytes)) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
    if (this.failure) throw this.failure.error;
    this.running++;
    this.used += bytes;
    const p = task().then(
      () => undefined,
      (e: unknown) => {
        this.failure ??= { error: e };
      },
    );
    const done = p.finally(() => {
      this.running--;
      this.used -= bytes;
      this.inflight.delete(done);
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
    this.inflight.add(done);
  }

  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all(this.inflight);
    if (this.failure) throw this.failure.error;
  }
}
