/**
 * The staging journal: where asynchronous mirroring's send queue spills when it outgrows
 * its memory, and where a clean shutdown leaves what was still queued. A ring file of
 * checksummed records (journal-record.ts) with a fixed capacity; records are written, not
 * synced one by one (after a crash the activity log says what may differ, so the ring is
 * dropped; a clean shutdown syncs it once). The head (first untrimmed record) lives in
 * `journal.head`, replaced atomically on each trim. Recovery reads from the head and stops
 * at the first record that is not whole, valid, in sequence and of the right epoch, so
 * what it finds is a prefix of what was spilled. Entries keep no data in memory: the
 * shipper reads it back from the ring (page cache).
 */
import { join } from 'node:path';
import { nodeFiles, type DurableFile, type DurableFiles } from '../block/durable-file.js';
import { readFileIfExists, writeFileAtomic } from '../block/atomic-file.js';
import { IdentityFileError } from './volume-record.js';
import { DISCARD_RECORD_DATA_BYTES, JournalRecordError, RECORD_HEADER_BYTES, RecordKind, decodeRecordHeader, encodeRecordHeader, verifyRecord } from './journal-record.js';

export const JOURNAL_FILE = 'journal';
export const JOURNAL_HEAD_FILE = 'journal.head';

export interface JournalEntry {
  seq: number;
  /** Byte offset on the volume. */
  offset: number;
  /** Bytes of the volume the entry covers (written, or deallocated for a discard). */
  length: number;
  /** A discard (UNMAP) of the range: it has no data to send. */
  discard: boolean;
  /** Data bytes of its record (the write's bytes; 8 for a discard). */
  recordData: number;
  /** Where the record starts in the ring. */
  pos: number;
  /** Ring bytes this entry holds: record plus the wrap gap before it. */
  footprint: number;
  /** Highest seq acknowledged when this write arrived (recovered entries: seq - 1, i.e. depend on all before). */
  ackedBefore: number;
}

export interface JournalHead {
  headPos: number;
  headSeq: number;
  /** Records with seq >= epochStartSeq carry `epoch`; earlier ones an older epoch. */
  epoch: number;
  epochStartSeq: number;
}

export interface StagingJournalOptions {
  dir: string;
  /** Ring size in bytes (default 64 MiB). */
  capacity?: number;
  /** Where the files live (default: node:fs; tests pass one that forgets at a power loss). */
  files?: DurableFiles;
}

export const DEFAULT_JOURNAL_CAPACITY = 64 * 1024 * 1024;

export class JournalFullError extends Error {
  constructor(needed: number, free: number) {
    super(`staging journal full: ${needed} bytes needed, ${free} free`);
    this.name = 'JournalFullError';
  }
}

export class StagingJournal {
  private readonly entries: JournalEntry[] = [];
  private entriesHead = 0;
  private used = 0;
  private tailPos: number;
  private nextSeq: number;
  private broken: Error | undefined;
  private headState: JournalHead;
  /** Count of records recovered at open (for logs and tests). */
  readonly recovered: number;

  private constructor(
    private readonly fh: DurableFile,
    private readonly dir: string,
    private readonly files: DurableFiles,
    readonly capacity: number,
    head: JournalHead,
    recovered: JournalEntry[],
    tailPos: number,
    used: number,
  ) {
    this.headState = head;
    for (const e of recovered) this.entries.push(e);
    this.recovered = recovered.length;
    this.used = used;
    this.tailPos = tailPos;
    this.nextSeq = head.epochStartSeq;
  }

  static async open(options: StagingJournalOptions): Promise<StagingJournal> {
    const files = options.files ?? nodeFiles;
    const path = join(options.dir, JOURNAL_FILE);
    const headPath = join(options.dir, JOURNAL_HEAD_FILE);
    let capacity = options.capacity ?? DEFAULT_JOURNAL_CAPACITY;
    const existing = await files.stat(path).catch(() => undefined);
    // A ring written with another capacity must be read with it.
    if (existing && existing.size > 0) capacity = existing.size;
    if (capacity < 4 * RECORD_HEADER_BYTES) throw new RangeError(`journal capacity ${capacity} too small`);
    const fh = await files.open(path, existing ? 'r+' : 'w+', 0o600);
    try {
      if (!existing || existing.size === 0) {
        await fh.truncate(capacity);
        // The next open reads the ring's capacity from the file's size: it must be durable.
        await fh.sync();
      }
      const head = parseHead(await readFileIfExists(headPath, files), headPath);
      const { entries, tailPos, used, nextSeq } = await scan(fh, capacity, head);
      // New records get a new epoch, so stale records past the stop point never chain on.
      const next: JournalHead = { ...head, epoch: head.epoch + 1, epochStartSeq: nextSeq };
      await writeFileAtomic(headPath, JSON.stringify(next), files);
      return new StagingJournal(fh, options.dir, files, capacity, next, entries, tailPos, used);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get usedBytes(): number {
    return this.used;
  }

  get fill(): number {
    return this.used / this.capacity;
  }

  get length(): number {
    return this.entries.length - this.entriesHead;
  }

  /** Pending entries in seq order (reserved ones included; see durableThrough). */
  pending(): JournalEntry[] {
    return this.entries.slice(this.entriesHead);
  }

  /** Whether a write of `length` bytes (a discard: 0) fits now. */
  fits(length: number): boolean {
    return this.place(RECORD_HEADER_BYTES + Math.max(length, DISCARD_RECORD_DATA_BYTES)) !== undefined;
  }

  /**
   * Appends a record of the send queue's overflow: resolves once written, not synced (the
   * activity log covers what it holds after a crash; a clean shutdown syncs it).
   */
  spill(offset: number, length: number, data: Buffer | undefined, ackedBefore: number): Promise<JournalEntry> {
    const record = data ?? discardRecordData(length);
    if (this.broken) return Promise.reject(this.broken);
    const size = RECORD_HEADER_BYTES + record.length;
    const placed = this.place(size);
    if (!placed) return Promise.reject(new JournalFullError(size, this.capacity - this.used));
    const entry: JournalEntry = { seq: this.nextSeq++, offset, length, discard: data === undefined, recordData: record.length, pos: placed.pos, footprint: size + placed.gap, ackedBefore };
    const wrapAt = placed.gap > 0 ? this.tailPos : -1;
    this.tailPos = placed.pos + size;
    this.used += entry.footprint;
    this.entries.push(entry);
    return this.writeRecord(entry, record, wrapAt).then(
      () => entry,
      (e: Error) => {
        this.broken ??= e;
        throw e;
      },
    );
  }

  /** Makes every record written so far durable (a clean shutdown keeps the spilled queue). */
  async syncAll(): Promise<void> {
    await this.fh.datasync();
  }

  /** A write entry's bytes, read back from the ring. */
  async readData(entry: JournalEntry): Promise<Buffer> {
    if (entry.discard) throw new RangeError(`journal entry ${entry.seq} is a discard: it has no data`);
    const data = Buffer.allocUnsafe(entry.length);
    const { bytesRead } = await this.fh.read(data, 0, entry.length, entry.pos + RECORD_HEADER_BYTES);
    if (bytesRead !== entry.length) throw new Error(`journal record ${entry.seq} truncated`);
    return data;
  }

  /** Highest seq handed out so far. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Drops entries through `seq` (durable on the backup) and persists the new head; trims run one at a time. */
  trimThrough(seq: number): Promise<void> {
    const run = this.trimming.then(() => this.trimNow(seq));
    this.trimming = run.catch(() => undefined);
    return run;
  }

  private trimming: Promise<void> = Promise.resolve();

  private async trimNow(seq: number): Promise<void> {
    let keep = this.entriesHead;
    let freed = 0;
    while (keep < this.entries.length && this.entries[keep]!.seq <= seq) freed += this.entries[keep++]!.footprint;
    if (keep === this.entriesHead) return;
    const first = this.entries[keep];
    // A first entry that wrapped is found from where its gap begins (the wrap point).
    const gap = first ? first.footprint - RECORD_HEADER_BYTES - first.recordData : 0;
    const next: JournalHead = {
      ...this.headState,
      headPos: first ? (gap > 0 ? this.capacity - gap : first.pos) : this.tailPos,
      headSeq: first ? first.seq : this.nextSeq,
    };
    // The space is reused only once the new head is durable: until then recovery reads from the old one.
    await writeFileAtomic(join(this.dir, JOURNAL_HEAD_FILE), JSON.stringify(next), this.files);
    this.headState = { ...next, epoch: this.headState.epoch, epochStartSeq: this.headState.epochStartSeq };
    this.used -= freed;
    this.entriesHead = keep;
    if (this.entriesHead > 1024 && this.entriesHead * 2 > this.entries.length) {
      this.entries.splice(0, this.entriesHead);
      this.entriesHead = 0;
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /** Where a record of `size` bytes goes, and the wrap gap it leaves; undefined when full. */
  private place(size: number): { pos: number; gap: number } | undefined {
    const free = this.capacity - this.used;
    if (this.tailPos + size <= this.capacity) return size <= free ? { pos: this.tailPos, gap: 0 } : undefined;
    const gap = this.capacity - this.tailPos;
    return gap + size <= free ? { pos: 0, gap } : undefined;
  }

  private async writeRecord(entry: JournalEntry, data: Buffer, wrapAt: number): Promise<void> {
    const header = encodeRecordHeader(
      { kind: entry.discard ? RecordKind.DISCARD : RecordKind.DATA, epoch: this.headState.epoch, seq: entry.seq, offset: entry.offset, length: data.length },
      data,
    );
    if (wrapAt >= 0 && this.capacity - wrapAt >= RECORD_HEADER_BYTES) {
      const wrap = encodeRecordHeader({ kind: RecordKind.WRAP, epoch: this.headState.epoch, seq: entry.seq, offset: 0, length: 0 }, Buffer.alloc(0));
      await this.fh.write(wrap, 0, wrap.length, wrapAt);
    }
    await this.fh.writev([header, data], entry.pos);
  }
}

/**
 * Damage is an IdentityFileError naming the file, as for the node's other state files: what the
 * journal holds is then unknown, and the start says how to restore it or begin again.
 */
function parseHead(raw: Buffer | undefined, path: string): JournalHead {
  const fresh: JournalHead = { headPos: 0, headSeq: 1, epoch: 1, epochStartSeq: 1 };
  if (!raw) return fresh;
  let h: unknown;
  try {
    h = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new IdentityFileError(path, 'not valid JSON');
  }
  if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new IdentityFileError(path, 'not a journal head (a JSON object)');
  const head = h as Partial<JournalHead>;
  for (const k of ['headPos', 'headSeq', 'epoch', 'epochStartSeq'] as const) {
    if (!Number.isSafeInteger(head[k]) || head[k]! < 0) throw new IdentityFileError(path, `${k} missing or invalid`);
  }
  return head as JournalHead;
}

/** Reads the valid prefix of records from the head. */
async function scan(
  fh: DurableFile,
  capacity: number,
  head: JournalHead,
): Promise<{ entries: JournalEntry[]; tailPos: number; used: number; nextSeq: number }> {
  const entries: JournalEntry[] = [];
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  let pos = head.headPos;
  let expect = head.headSeq;
  let used = 0;
  let gap = 0;
  /** Just past the last valid record: appends resume here (re-wrapping if they must). */
  let tail = head.headPos;
  for (;;) {
    if (capacity - pos < RECORD_HEADER_BYTES) {
      gap += capacity - pos;
      pos = 0;
    }
    const { bytesRead } = await fh.read(header, 0, RECORD_HEADER_BYTES, pos);
    let h;
    try {
      if (bytesRead < RECORD_HEADER_BYTES) break;
      h = decodeRecordHeader(header, 0, capacity - pos - RECORD_HEADER_BYTES);
    } catch (e) {
      if (e instanceof JournalRecordError) break;
      throw e;
    }
    if (h.seq !== expect || (h.kind !== RecordKind.DATA && h.kind !== RecordKind.WRAP && h.kind !== RecordKind.DISCARD)) break;
    const epochOk = h.seq >= head.epochStartSeq ? h.epoch === head.epoch : h.epoch < head.epoch;
    if (!epochOk) break;
    if (h.kind === RecordKind.WRAP) {
      if (pos === 0) break;
      gap += capacity - pos;
      pos = 0;
      continue;
    }
    const data = Buffer.allocUnsafe(h.length);
    const got = await fh.read(data, 0, h.length, pos + RECORD_HEADER_BYTES);
    if (got.bytesRead < h.length) break;
    try {
      verifyRecord(header, 0, data);
    } catch (e) {
      if (e instanceof JournalRecordError) break;
      throw e;
    }
    const footprint = RECORD_HEADER_BYTES + h.length + gap;
    if (used + footprint > capacity) break;
    const discard = h.kind === RecordKind.DISCARD;
    const length = discard ? Number(data.readBigUInt64BE(0)) : h.length;
    if (!Number.isSafeInteger(length)) break;
    entries.push({ seq: h.seq, offset: h.offset, length, discard, recordData: h.length, pos, footprint, ackedBefore: h.seq - 1 });
    used += footprint;
    gap = 0;
    pos += RECORD_HEADER_BYTES + h.length;
    tail = pos;
    expect++;
  }
  return { entries, tailPos: tail, used, nextSeq: expect };
}

/** A discard's record data: the range's length (its offset is in the header). */
function discardRecordData(length: number): Buffer {
  const data = Buffer.alloc(DISCARD_RECORD_DATA_BYTES);
  data.writeBigUInt64BE(BigInt(length));
  return data;
}
