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
import { dirname } from 'node:path';
import { crc32c } from '../util/crc32c.js';
import { fsyncDir } from './atomic-file.js';
import type { BlockDevice } from './device.js';
import { nodeFiles, type DurableFile, type DurableFiles } from './durable-file.js';
import { blockError } from './errors.js';

const MAGIC = 0x54415731; // "TAW1"
const HEADER_BYTES = 24;
const CRC_AT = 20;

/**
 * The log could not be emptied after a write (applied, refused, or never logged whole): a
 * record may be left in it that the next open would replay over whatever is written to
 * its range meanwhile. Later atomic writes are refused until the log can be emptied.
 */
export class AtomicLogNotEmptiedError extends Error {
  readonly code: string | undefined;
  constructor(path: string, cause: unknown) {
    super(`${path}: the atomic write log could not be emptied: ${(cause as Error).message}`, { cause });
    this.name = 'AtomicLogNotEmptiedError';
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

export class AtomicWriteLog {
  /** One atomic write at a time: the log has one slot. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Why the log may still hold a record (its emptying failed); cleared once it is emptied. */
  private notEmptied: AtomicLogNotEmptiedError | undefined;
  /** Whether the log's name has been made durable in its directory (once per open: a write may have created it). */
  private nameDurable = false;

  private constructor(
    private readonly path: string,
    private readonly device: BlockDevice,
    /** Whether open found (and applied) a write a crash had interrupted. */
    readonly replayed: boolean,
    private readonly files: DurableFiles,
  ) {}

  /** Opens the log at `path` and replays a record a crash left in it. */
  static async open(path: string, device: BlockDevice, maxBytes: number, files: DurableFiles = nodeFiles): Promise<AtomicWriteLog> {
    const replayed = await replay(path, device, maxBytes, files);
    return new AtomicWriteLog(path, device, replayed, files);
  }

  /**
   * Writes `data` at `offset` (through `target`, the device by default): after a crash at
   * any point, all of it or none. Durable when it resolves. Rejects with ENOSPC, applying
   * nothing, when the log's file system cannot hold the record; with AtomicLogNotEmptiedError
   * when the log could not be emptied afterwards (and then refuses writes until it can be).
   */
  write(data: Buffer, offset: number, target: Pick<BlockDevice, 'write'> = this.device): Promise<void> {
    const run = this.queue.catch(() => undefined).then(() => this.writeNow(data, offset, target));
    this.queue = run;
    return run;
  }

  private async writeNow(data: Buffer, offset: number, target: Pick<BlockDevice, 'write'>): Promise<void> {
    if (this.notEmptied) await this.emptyAgain();
    const fh = await this.files.open(this.path, 'w', 0o600);
    try {
      try {
        // A record in a file whose name a crash loses is never replayed: the name is made
        // durable before the first record is applied.
        if (!this.nameDurable) {
          await fsyncDir(dirname(this.path), this.files);
          this.nameDurable = true;
        }
        await writeFully(fh, [encodeHeader(offset, data), data]);
        await fh.datasync();
      } catch (e) {
        // Not logged whole and durable: never applied. What did reach the log goes (a short
        // record would be skipped at replay, but a durable whole one with a failed sync not).
        await this.empty(fh);
        throw e;
      }
      try {
        await target.write(data, offset, true);
      } finally {
        // Emptied whether the write was applied or refused (the host is told which): a record
        // left behind would be replayed at the next open over whatever was written since.
        await this.empty(fh);
      }
    } finally {
      await fh.close();
    }
  }

  /** Truncates the log durably; a failure is remembered (and thrown) as AtomicLogNotEmptiedError. */
  private async empty(fh: DurableFile): Promise<void> {
    try {
      await fh.truncate(0);
      await fh.datasync();
    } catch (e) {
      this.notEmptied = new AtomicLogNotEmptiedError(this.path, e);
      throw this.notEmptied;
    }
  }

  /** Retries emptying a log a failure left as it was; throws (refusing the write) while it still fails. */
  private async emptyAgain(): Promise<void> {
    let fh: DurableFile;
    try {
      fh = await this.files.open(this.path, 'w', 0o600);
    } catch (e) {
      throw new AtomicLogNotEmptiedError(this.path, e);
    }
    try {
      // Opening with 'w' truncated it: make that durable.
      await this.empty(fh);
    } finally {
      await fh.close().catch(() => undefined);
    }
    this.notEmptied = undefined;
  }
}

/**
 * Writes every byte of `bufs` from position 0: a nearly full file system takes part of a
 * write without an error. A write that makes no progress is ENOSPC.
 */
async function writeFully(fh: DurableFile, bufs: Buffer[]): Promise<void> {
  let position = 0;
  let rest = bufs.filter((b) => b.length > 0);
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, position);
    if (!(bytesWritten > 0)) throw blockError('ENOSPC', 'the atomic write log took no more of its record (file system full)');
    position += bytesWritten;
    let skip = bytesWritten;
    while (rest.length > 0 && skip >= rest[0]!.length) skip -= rest.shift()!.length;
    if (skip > 0) rest[0] = rest[0]!.subarray(skip);
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
async function replay(path: string, device: BlockDevice, maxBytes: number, files: DurableFiles): Promise<boolean> {
  let fh: DurableFile;
  try {
    fh = await files.open(path, 'r+');
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
