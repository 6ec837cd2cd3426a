/**
 * All-or-nothing writes over any BlockDevice, also across a crash (SBC-4 WRITE ATOMIC):
 * the write is first made durable in a one-slot log file beside the image, then applied
 * and flushed, then the log is emptied durably before the write completes. A valid record
 * found at open means a crash came in between: it is applied again (the same bytes, so
 * idempotent) before anything else can write. Emptying before completion matters: a
 * record left behind would later be replayed over newer writes.
 *
 * Record: magic "TAW1" u32 | reserved u32 | offset u64 | length u32 | CRC32C u32 of the
 * first 20 bytes and the data; then the data.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { crc32c } from '../util/crc32c.js';
import type { BlockDevice } from './device.js';

const MAGIC = 0x54415731; // "TAW1"
const HEADER_BYTES = 24;
const CRC_AT = 20;

export class AtomicWriteLog {
  /** One atomic write at a time: the log has one slot. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly device: BlockDevice,
    /** Whether open found (and applied) a write a crash had interrupted. */
    readonly replayed: boolean,
  ) {}

  /** Opens the log at `path` and replays a record a crash left in it. */
  static async open(path: string, device: BlockDevice, maxBytes: number): Promise<AtomicWriteLog> {
    const replayed = await replay(path, device, maxBytes);
    return new AtomicWriteLog(path, device, replayed);
  }

  /**
   * Writes `data` at `offset` (through `target`, the device by default): after a crash at
   * any point, all of it or none. Durable when it resolves.
   */
  write(data: Buffer, offset: number, target: Pick<BlockDevice, 'write'> = this.device): Promise<void> {
    const run = this.queue.catch(() => undefined).then(() => this.writeNow(data, offset, target));
    this.queue = run;
    return run;
  }

  private async writeNow(data: Buffer, offset: number, target: Pick<BlockDevice, 'write'>): Promise<void> {
    const fh = await open(this.path, 'w', 0o600);
    try {
      await fh.writev([encodeHeader(offset, data), data], 0);
      await fh.datasync();
      try {
        await target.write(data, offset, true);
      } finally {
        // Emptied whether the write was applied or refused (the host is told which): a record
        // left behind would be replayed at the next open over whatever was written since.
        await fh.truncate(0);
        await fh.datasync();
      }
    } finally {
      await fh.close();
    }
  }
}

function encodeHeader(offset: number, data: Buffer): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32BE(MAGIC, 0);
  h.writeBigUInt64BE(BigInt(offset), 8);
  h.writeUInt32BE(data.length, 16);
  h.writeUInt32BE(crc32c(data, crc32c(h.subarray(0, CRC_AT))) >>> 0, CRC_AT);
  return h;
}

/** Applies a whole, valid record (and empties the log); anything else is a write that never began. */
async function replay(path: string, device: BlockDevice, maxBytes: number): Promise<boolean> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (e) {
    // No log (or no directory to hold one): no atomic write was ever interrupted here.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw e;
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await fh.read(header, 0, HEADER_BYTES, 0);
    let applied = false;
    if (bytesRead === HEADER_BYTES && header.readUInt32BE(0) === MAGIC) {
      const offset = Number(header.readBigUInt64BE(8));
      const length = header.readUInt32BE(16);
      if (length > 0 && length <= maxBytes && offset + length <= device.size) {
        const data = Buffer.alloc(length);
        const got = await fh.read(data, 0, length, HEADER_BYTES);
        if (got.bytesRead === length && (crc32c(data, crc32c(header.subarray(0, CRC_AT))) >>> 0) === header.readUInt32BE(CRC_AT)) {
          await device.write(data, offset, true);
          applied = true;
        }
      }
    }
    await fh.truncate(0);
    await fh.datasync();
    return applied;
  } finally {
    await fh.close();
  }
}
