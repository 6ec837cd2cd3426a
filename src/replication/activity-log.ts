/**
 * The activity log (DRBD's al-extents): the set of "hot" extents of the volume (4 MiB by
 * default) where the primary's image and the backup's may differ because of writes not
 * yet confirmed durable on both. An extent is made durably hot before a write to it may
 * reach the image, and then costs nothing more however often it is written; it goes cold
 * only when no unconfirmed write holds it, and leaves the durable set lazily (least
 * recently used first, when the set is over capacity). After a crash, only the extents
 * the log holds are resynchronised (by challenge: only differing chunks move).
 *
 * File `activity.log`: two copies written alternately, each a 32-byte header (magic,
 * sequence, extent size, count, CRC32C) and `count` 64-bit extent numbers; at open the
 * valid copy with the higher sequence wins, so a torn write leaves the previous set.
 */
import { join } from 'node:path';
import { nodeFiles, type DurableFile, type DurableFiles } from '../block/durable-file.js';
import { crc32c } from '../util/crc32c.js';
import { firstUnit, lastUnit } from '../util/unit-span.js';

export const ACTIVITY_LOG_FILE = 'activity.log';
export const DEFAULT_EXTENT_SIZE = 4 * 1024 * 1024;
export const DEFAULT_HOT_EXTENTS = 1024;
const MAGIC = 0x54414c31; // "TAL1"
const HEADER_BYTES = 32;

export interface ActivityLogOptions {
  dir: string;
  volumeSize: number;
  extentSize?: number;
  /** Extents kept hot before cold ones are let go; up to twice as many while writes hold them. */
  capacity?: number;
  files?: DurableFiles;
  /** Runs before extents leave the durable set: what covers them from then on (the delta table) must be durable. */
  beforeEvict?: () => Promise<void>;
}

interface Hot {
  refs: number;
  /** Monotonic use stamp for least-recently-used eviction. */
  used: number;
}

export class ActivityLog {
  readonly extentSize: number;
  private readonly hot = new Map<number, Hot>();
  /** What the file's newest copy holds. */
  private durable = new Set<number>();
  private seq: bigint;
  private clock = 0;
  private persisting: Promise<void> | undefined;
  private again = false;
  /** Acquisitions waiting for room (every hot extent held and the hard limit reached). */
  private waiters: Array<() => void> = [];
  private readonly roomWaits = new WeakSet<Promise<unknown>>();
  private readonly hardCapacity: number;
  private readonly slotBytes: number;
  /** The copies' size in the file as found (differs after a capacity change until the first write). */
  private fileSlotBytes = 0;
  /** The extents found at open stay in the log until the caller has covered them otherwise (forgetRecovered). */
  private keepRecovered = true;

  private constructor(
    private readonly fh: DurableFile,
    readonly volumeSize: number,
    extentSize: number,
    private readonly capacity: number,
    private readonly beforeEvict: (() => Promise<void>) | undefined,
    /** Extents the file held at open: writes to them may not have reached both nodes. */
    readonly recovered: readonly number[],
    /** Neither copy of the file could be read: which extents were hot is unknown. */
    readonly lost: boolean,
    seq: bigint,
  ) {
    this.extentSize = extentSize;
    this.hardCapacity = capacity * 2;
    // Room for what was found too (the capacity may have been lowered since).
    this.slotBytes = HEADER_BYTES + 8 * (this.hardCapacity + recovered.length);
    this.seq = seq;
    for (const e of recovered) this.durable.add(e);
  }

  static async open(options: ActivityLogOptions): Promise<ActivityLog> {
    const extentSize = options.extentSize ?? DEFAULT_EXTENT_SIZE;
    if (!Number.isInteger(extentSize) || extentSize < 4096 || (extentSize & (extentSize - 1)) !== 0) throw new RangeError('activity-log extent size must be a power of two >= 4 KiB');
    const capacity = options.capacity ?? DEFAULT_HOT_EXTENTS;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('activity-log capacity must be a positive integer');
    const files = options.files ?? nodeFiles;
    const path = join(options.dir, ACTIVITY_LOG_FILE);
    let existed = true;
    try {
      await files.stat(path);
    } catch {
      existed = false;
    }
    const fh = await files.open(path, 'a+').then((h) => h.close()).then(() => files.open(path, 'r+'));
    try {
      if (!existed) await files.syncDir(options.dir);
      const size = (await fh.stat()).size;
      // The copies' size follows the capacity the file was written with (it may have changed since).
      const best = size > 0 ? await readBest(fh, Math.floor(size / 2), extentSize) : undefined;
      const extentCount = Math.ceil(options.volumeSize / extentSize);
      const recovered = (best?.extents ?? []).filter((e) => e < extentCount);
      // A file that exists but holds no readable copy: the extents hot at the crash are unknown.
      const log = new ActivityLog(fh, options.volumeSize, extentSize, capacity, options.beforeEvict, recovered, existed && size > 0 && !best, best?.seq ?? 0n);
      log.fileSlotBytes = size > 0 ? Math.floor(size / 2) : log.slotBytes;
      return log;
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Extents hot now (status). */
  get hotExtents(): number {
    return this.hot.size;
  }

  /** A write waits for room: every hot extent is held by a write not yet confirmed on both nodes. */
  get starved(): boolean {
    return this.waiters.length > 0;
  }

  /**
   * Holds the extents of a write until release(): resolves once they are durably hot
   * (undefined, no I/O, when they already are), waiting for room if every hot extent is held.
   */
  acquire(offset: number, length: number): Promise<void> | undefined {
    let needsPersist = false;
    let needsRoom = false;
    for (let e = firstUnit(offset, this.extentSize), last = lastUnit(offset, length, this.extentSize); e <= last; e++) {
      const h = this.hot.get(e);
      if (h) {
        h.refs++;
        h.used = ++this.clock;
      } else this.hot.set(e, { refs: 1, used: ++this.clock });
      // Hot already but its write still in flight: this write waits for it too.
      if (!this.durable.has(e)) needsPersist = true;
    }
    if (this.hot.size > this.hardCapacity && this.evictable() === 0) needsRoom = true;
    if (needsRoom) {
      const wait = this.waitForRoom().then(() => this.persist());
      this.roomWaits.add(wait);
      return wait;
    }
    return needsPersist ? this.persist() : undefined;
  }

  /** Whether `wait` (from acquire) waits for room, which only a confirmation or the fold into the delta table frees. */
  waitsForRoom(wait: Promise<unknown>): boolean {
    return this.roomWaits.has(wait);
  }

  /** The write is confirmed on both nodes (or covered by the delta table): its extents may cool. */
  release(offset: number, length: number): void {
    for (let e = firstUnit(offset, this.extentSize), last = lastUnit(offset, length, this.extentSize); e <= last; e++) {
      const h = this.hot.get(e);
      if (h && h.refs > 0) h.refs--;
    }
    if (this.waiters.length > 0 && this.evictable() > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    }
  }

  /** The recovered extents were marked for resynchronisation: the log need not keep them. */
  forgetRecovered(): Promise<void> {
    this.keepRecovered = false;
    return this.persist();
  }

  /**
   * Every write the log covered is durable on both nodes and no more may come (a drained
   * switchover, host writes held): the log empties, so a crash of this node as a backup
   * marks nothing. It used to keep its extents until the node was a primary again, each
   * unclean restart meanwhile marking them all for a compare pass. An extent a write still
   * holds stays.
   */
  clear(): Promise<void> {
    for (const [e, h] of this.hot) if (h.refs === 0) this.hot.delete(e);
    this.keepRecovered = false;
    return this.persist();
  }

  async close(): Promise<void> {
    await this.persist().catch(() => undefined);
    await this.fh.close();
  }

  private evictable(): number {
    let n = 0;
    for (const h of this.hot.values()) if (h.refs === 0) n++;
    return n;
  }

  private waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Writes the hot set (cold extents over capacity dropped, oldest first), one persist at a time. */
  private persist(): Promise<void> {
    if (this.persisting) {
      this.again = true;
      return this.persisting.then(() => (this.again ? this.persist() : undefined));
    }
    this.persisting = this.writeSet().finally(() => (this.persisting = undefined));
    return this.persisting;
  }

  private async writeSet(): Promise<void> {
    do {
      this.again = false;
      this.evictCold();
      let next = this.nextSet();
      if ([...this.durable].some((e) => !next.has(e))) {
        await this.beforeEvict?.();
        // A write to an extent being dropped found it still durable and went ahead meanwhile: it stays.
        next = this.nextSet();
      }
      if (sameSet(next, this.durable)) continue;
      this.seq++;
      if (this.fileSlotBytes !== this.slotBytes) {
        // Written with another capacity: start the file over in this layout (the new copy is the only one that counts).
        await this.fh.truncate(0);
        this.fileSlotBytes = this.slotBytes;
      }
      const copy = encodeCopy(this.seq, this.extentSize, [...next], this.slotBytes);
      await this.fh.write(copy, 0, copy.length, Number(this.seq % 2n) * this.slotBytes);
      await this.fh.datasync();
      this.durable = next;
    } while (this.again);
  }

  /** What the file is to hold: the hot set, and the extents found at open while they are kept. */
  private nextSet(): Set<number> {
    const next = new Set(this.hot.keys());
    if (this.keepRecovered) for (const e of this.recovered) next.add(e);
    return next;
  }

  /** Cold extents beyond capacity leave the hot set, least recently used first. */
  private evictCold(): void {
    if (this.hot.size <= this.capacity) return;
    const cold = [...this.hot.entries()].filter(([, h]) => h.refs === 0).sort((a, b) => a[1].used - b[1].used);
    for (const [e] of cold) {
      if (this.hot.size <= this.capacity) break;
      this.hot.delete(e);
    }
  }
}

function sameSet(a: Set<number>, b: Set<number>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function encodeCopy(seq: bigint, extentSize: number, extents: number[], slotBytes: number): Buffer {
  const b = Buffer.alloc(slotBytes);
  b.writeUInt32BE(MAGIC, 0);
  b.writeBigUInt64BE(seq, 8);
  b.writeUInt32BE(extentSize, 16);
  b.writeUInt32BE(extents.length, 20);
  extents.forEach((e, i) => b.writeBigUInt64BE(BigInt(e), HEADER_BYTES + 8 * i));
  b.writeUInt32BE(copyCrc(b, extents.length), 24);
  return b;
}

function copyCrc(b: Buffer, count: number): number {
  return crc32c(Buffer.concat([b.subarray(0, 24), b.subarray(HEADER_BYTES, HEADER_BYTES + 8 * count)]));
}

/** The valid copy with the higher sequence, or undefined when neither is valid. */
async function readBest(fh: DurableFile, slotBytes: number, extentSize: number): Promise<{ seq: bigint; extents: number[] } | undefined> {
  const hardCapacity = Math.floor((slotBytes - HEADER_BYTES) / 8);
  let best: { seq: bigint; extents: number[] } | undefined;
  for (let slot = 0; slot < 2; slot++) {
    const b = Buffer.alloc(slotBytes);
    const { bytesRead } = await fh.read(b, 0, slotBytes, slot * slotBytes);
    if (bytesRead < HEADER_BYTES || b.readUInt32BE(0) !== MAGIC) continue;
    const count = b.readUInt32BE(20);
    if (count > hardCapacity || bytesRead < HEADER_BYTES + 8 * count || b.readUInt32BE(16) !== extentSize) continue;
    if (copyCrc(b, count) !== b.readUInt32BE(24)) continue;
    const seq = b.readBigUInt64BE(8);
    if (best && best.seq >= seq) continue;
    best = { seq, extents: Array.from({ length: count }, (_, i) => Number(b.readBigUInt64BE(HEADER_BYTES + 8 * i))) };
  }
  return best;
}
