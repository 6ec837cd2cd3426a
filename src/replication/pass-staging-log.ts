/**
 * A backup's staged delta pass: the pass's writes are appended to `pass.staging` (records
 * of journal-record.ts, one random epoch per pass) instead of the image; commit appends a
 * COMMIT record, syncs, and only then copies the records onto the image. Recovery at open
 * replays a committed pass (the copy is idempotent) and drops an uncommitted one, so after
 * any crash the image is the previous consistent image or the new one, never a mix.
 * Readers see the previous image until the commit copies (the copy itself is not atomic to
 * a concurrent reader, only to a crash).
 *
 * Layout: BEGIN (seq = pass id high 32 bits, offset = low 32 bits), DATA and DISCARD
 * records (seq = 0, 1, 2, ... in staging order; a DISCARD's data is the u64 length it
 * deallocates), COMMIT (pass id like BEGIN), all one epoch.
 */
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import type { BlockDevice } from '../block/device.js';
import { PassCapacityError, PassSequenceError, type PassStaging } from '../block/pass-staging.js';
import { nodeFiles, type DurableFile, type DurableFiles } from '../block/durable-file.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { SerialQueue } from '../util/serial-queue.js';
import { fsyncDir } from '../block/atomic-file.js';
import {
  DISCARD_RECORD_DATA_BYTES,
  JournalRecordError,
  RECORD_HEADER_BYTES,
  RecordKind,
  decodeRecordHeader,
  encodeRecordHeader,
  verifyRecord,
  type RecordHeader,
} from './journal-record.js';

export const PASS_STAGING_FILE = 'pass.staging';
/** Longest staged write: the SCSI layer's transfer limit bounds it well below this. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export interface PassStagingLogOptions {
  dir: string;
  /** The image a committed pass is applied to. */
  device: BlockDevice;
  /** Data bytes one pass may stage (default: the device size, one full copy). */
  capacity?: number;
  logger?: Logger;
  /** Where the log lives (default: node:fs; tests pass one that forgets at a power loss). */
  files?: DurableFiles;
}

/** What recovery found in the log at open. */
export type StagingRecovery = 'empty' | 'discarded' | 'replayed';

interface OpenPass {
  id: bigint;
  epoch: number;
  tail: number;
  records: number;
  bytes: number;
  inflight: Set<Promise<void>>;
  /** A staged write failed: the log has a hole, so the pass can only be aborted. */
  failed: boolean;
}

/** A committed pass not yet (wholly) on the image; see PassStagingLog.unapplied. */
interface UnappliedPass {
  id: bigint;
  epoch: number;
  copied: boolean;
}

export class PassStagingLog implements PassStaging {
  private pass: OpenPass | undefined;
  private passControls = 0;
  /**
   * A pass whose COMMIT is durable but whose copy onto the image failed (ENOSPC, EIO): the
   * image may hold part of it, so it is copied again before anything else may touch the log.
   * `copied`: the copy succeeded but emptying the log failed: only the emptying is retried
   * (copying again would undo whatever reached the image since).
   */
  private unapplied: UnappliedPass | undefined;
  /** Serialises begin/commit/abort, so a pass never changes under another one's feet. */
  private readonly control = new SerialQueue();

  private constructor(
    private readonly fh: DurableFile,
    private readonly device: BlockDevice,
    private readonly capacity: number,
    private readonly log: Logger,
    readonly recovery: StagingRecovery,
  ) {}

  static async open(options: PassStagingLogOptions): Promise<PassStagingLog> {
    const path = join(options.dir, PASS_STAGING_FILE);
    const log = options.logger ?? moduleLogger('pass-staging');
    const files = options.files ?? nodeFiles;
    const fh = await files.open(path, 'a+').then((h) => h.close()).then(() => files.open(path, 'r+'));
    try {
      const found = await scanPass(fh);
      let recovery: StagingRecovery = 'empty';
      if (found?.committed) {
        const applied = await applyRecords(fh, found.epoch, options.device);
        log.info({ event: 'staged-pass-replayed', passId: found.id.toString(16), records: applied.records, bytes: applied.bytes, discardedBytes: applied.discardedBytes }, 'committed pass applied after restart');
        recovery = 'replayed';
      } else if (found) {
        log.info({ event: 'staged-pass-discarded', passId: found.id.toString(16), records: found.records }, 'uncommitted pass discarded: the image stays at the previous pass');
        recovery = 'discarded';
      } else if ((await fh.stat()).size > 0) {
        // A torn BEGIN (or anything else that is not a pass) is still a pass cut short: say so.
        log.info({ event: 'staged-pass-discarded', records: 0 }, 'incomplete staging log discarded: the image stays at the previous pass');
        recovery = 'discarded';
      }
      await empty(fh);
      // The log may have just been created: its name must be durable before a COMMIT in it counts.
      await fsyncDir(options.dir, files);
      return new PassStagingLog(fh, options.device, options.capacity ?? options.device.size, log, recovery);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get era(): number {
    return this.passControls;
  }

  begin(passId: bigint): Promise<void> {
    this.passControls++;
    return this.serially(async () => {
      // Refused (the copy's error) while the committed pass cannot be finished: a BEGIN would overwrite it.
      await this.finishCommitted();
      if (this.pass) await this.drop(this.pass);
      const epoch = randomInt(1, 0xffffffff);
      const begin = passRecord(RecordKind.PASS_BEGIN, epoch, passId);
      await this.fh.write(begin, 0, begin.length, 0);
      this.pass = { id: passId, epoch, tail: begin.length, records: 0, bytes: 0, inflight: new Set(), failed: false };
    });
  }

  async write(data: Buffer, offset: number): Promise<void> {
    const pass = this.openFor(offset, data.length);
    if (pass.bytes + data.length > this.capacity) throw new PassCapacityError(`a pass may stage ${this.capacity} bytes`);
    pass.bytes += data.length;
    await this.append(pass, RecordKind.DATA, offset, data);
  }

  /** A DISCARD record (its data the range's length): applied at commit as a deallocation, in staging order. */
  async discard(offset: number, length: number): Promise<void> {
    const pass = this.openFor(offset, length);
    const data = Buffer.alloc(DISCARD_RECORD_DATA_BYTES);
    data.writeBigUInt64BE(BigInt(length));
    await this.append(pass, RecordKind.DISCARD, offset, data);
  }

  private openFor(offset: number, length: number): OpenPass {
    const pass = this.pass;
    if (!pass) throw new PassSequenceError('no staged pass is open');
    if (offset < 0 || offset + length > this.device.size) throw new RangeError('staged change beyond the image');
    return pass;
  }

  private async append(pass: OpenPass, kind: typeof RecordKind.DATA | typeof RecordKind.DISCARD, offset: number, data: Buffer): Promise<void> {
    // Position and sequence are taken synchronously, so concurrent records never overlap in the file.
    const at = pass.tail;
    const header = encodeRecordHeader({ kind, epoch: pass.epoch, seq: pass.records, offset, length: data.length }, data);
    pass.tail += header.length + data.length;
    pass.records++;
    const writing = this.fh.writev([header, data], at).then(() => undefined);
    pass.inflight.add(writing);
    try {
      await writing;
    } catch (e) {
      pass.failed = true;
      throw e;
    } finally {
      pass.inflight.delete(writing);
    }
  }

  commit(passId: bigint): Promise<void> {
    this.passControls++;
    return this.serially(async () => {
      await this.finishCommitted();
      const pass = this.current(passId);
      await settle(pass.inflight);
      if (pass.failed) throw new PassSequenceError(`pass ${passId.toString(16)} lost a staged write; abort it and start again`);
      const started = performance.now();
      // The records must be durable before the COMMIT record that makes recovery replay them.
      await this.fh.datasync();
      const commit = passRecord(RecordKind.PASS_COMMIT, pass.epoch, passId);
      await this.fh.write(commit, 0, commit.length, pass.tail);
      await this.fh.datasync();
      this.pass = undefined;
      const unapplied: UnappliedPass = { id: passId, epoch: pass.epoch, copied: false };
      this.unapplied = unapplied;
      const applied = await applyRecords(this.fh, pass.epoch, this.device);
      unapplied.copied = true;
      // The pass is on the image (a recovery point) even if emptying the log fails below.
      this.onCommit?.();
      await empty(this.fh);
      this.unapplied = undefined;
      this.log.info(
        { event: 'staged-pass-committed', passId: passId.toString(16), records: applied.records, bytes: applied.bytes, discardedBytes: applied.discardedBytes, durationMs: Math.round(performance.now() - started) },
        'staged pass applied',
      );
    });
  }

  abort(passId: bigint): Promise<void> {
    this.passControls++;
    return this.serially(async () => {
      await this.drop(this.current(passId));
    });
  }

  /**
   * Before this node stops being a backup: a commit in progress finishes (its pass is part
   * of the image the node now serves), an open pass is dropped (it never reaches the image).
   */
  settle(): Promise<void> {
    return this.serially(async () => {
      await this.finishCommitted();
      if (!this.pass) return;
      this.log.info({ event: 'staged-pass-discarded', passId: this.pass.id.toString(16), records: this.pass.records }, 'open staged pass dropped: this node stops being a backup');
      await this.drop(this.pass);
    });
  }

  /** Called after each committed pass reached the image (a backup's recovery point). */
  onCommit: (() => void) | undefined;

  /** Id of the open pass (tests, status). */
  get openPass(): bigint | undefined {
    return this.pass?.id;
  }

  async close(): Promise<void> {
    await this.control.idle();
    if (this.pass) await settle(this.pass.inflight);
    await this.fh.close();
  }

  private current(passId: bigint): OpenPass {
    if (!this.pass) throw new PassSequenceError('no staged pass is open');
    if (this.pass.id !== passId) throw new PassSequenceError(`pass ${passId.toString(16)} is not the open pass`);
    return this.pass;
  }

  /** Copies a committed pass whose copy failed onto the image again (idempotent), then empties the log (whose emptying may have been all that failed). */
  private async finishCommitted(): Promise<void> {
    const pass = this.unapplied;
    if (!pass) return;
    const applied = pass.copied ? undefined : await applyRecords(this.fh, pass.epoch, this.device);
    await empty(this.fh);
    this.unapplied = undefined;
    if (!applied) return;
    this.onCommit?.();
    this.log.info({ event: 'staged-pass-replayed', passId: pass.id.toString(16), records: applied.records, bytes: applied.bytes, discardedBytes: applied.discardedBytes }, 'committed pass applied after its copy had failed');
  }

  /** Forget a pass: wait for its writes (so none lands after the file is emptied), then empty. */
  private async drop(pass: OpenPass): Promise<void> {
    this.pass = undefined;
    await settle(pass.inflight);
    await empty(this.fh);
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    return this.control.run(fn);
  }
}

function passRecord(kind: typeof RecordKind.PASS_BEGIN | typeof RecordKind.PASS_COMMIT, epoch: number, passId: bigint): Buffer {
  const hi = Number(passId >> 32n) >>> 0;
  const lo = Number(passId & 0xffffffffn);
  return encodeRecordHeader({ kind, epoch, seq: hi, offset: lo, length: 0 }, Buffer.alloc(0));
}

function passIdOf(h: RecordHeader): bigint {
  return (BigInt(h.seq) << 32n) | BigInt(h.offset);
}

async function settle(inflight: Set<Promise<void>>): Promise<void> {
  await Promise.allSettled([...inflight]);
}

async function empty(fh: DurableFile): Promise<void> {
  await fh.truncate(0);
  await fh.sync();
}

/** Reads the record at `pos`, or undefined where the valid log ends. Data is read only for DATA records. */
async function readRecord(fh: DurableFile, pos: number): Promise<{ header: RecordHeader; data: Buffer } | undefined> {
  const raw = Buffer.alloc(RECORD_HEADER_BYTES);
  const { bytesRead } = await fh.read(raw, 0, RECORD_HEADER_BYTES, pos);
  if (bytesRead < RECORD_HEADER_BYTES) return undefined;
  try {
    const header = decodeRecordHeader(raw, 0, MAX_RECORD_BYTES);
    const data = Buffer.allocUnsafe(header.length);
    if (header.length > 0 && (await fh.read(data, 0, header.length, pos + RECORD_HEADER_BYTES)).bytesRead < header.length) return undefined;
    verifyRecord(raw, 0, data);
    return { header, data };
  } catch (e) {
    if (e instanceof JournalRecordError) return undefined;
    throw e;
  }
}

/**
 * The pass the log holds: its BEGIN, how many DATA records follow in sequence, and whether
 * its COMMIT follows them. Undefined when the log does not start with a BEGIN.
 */
export async function scanPass(fh: DurableFile): Promise<{ id: bigint; epoch: number; records: number; committed: boolean } | undefined> {
  const first = await readRecord(fh, 0);
  if (!first || first.header.kind !== RecordKind.PASS_BEGIN) return undefined;
  const { epoch } = first.header;
  const id = passIdOf(first.header);
  let pos = RECORD_HEADER_BYTES;
  let records = 0;
  for (;;) {
    const r = await readRecord(fh, pos);
    if (!r || r.header.epoch !== epoch) return { id, epoch, records, committed: false };
    if (r.header.kind === RecordKind.PASS_COMMIT) return { id, epoch, records, committed: passIdOf(r.header) === id };
    if (!isChange(r.header) || r.header.seq !== records) return { id, epoch, records, committed: false };
    records++;
    pos += RECORD_HEADER_BYTES + r.header.length;
  }
}

function isChange(h: RecordHeader): boolean {
  return h.kind === RecordKind.DATA || h.kind === RecordKind.DISCARD;
}

/** Applies the records of a committed pass to the image, in staging order, then flushes it. */
async function applyRecords(fh: DurableFile, epoch: number, device: BlockDevice): Promise<{ records: number; bytes: number; discardedBytes: number }> {
  let pos = RECORD_HEADER_BYTES;
  let records = 0;
  let bytes = 0;
  let discardedBytes = 0;
  for (;;) {
    const r = await readRecord(fh, pos);
    if (!r || r.header.epoch !== epoch || !isChange(r.header)) break;
    if (r.header.kind === RecordKind.DISCARD) {
      const length = Number(r.data.readBigUInt64BE(0));
      await deallocate(device, r.header.offset, length);
      discardedBytes += length;
    } else {
      await device.write(r.data, r.header.offset);
      bytes += r.data.length;
    }
    records++;
    pos += RECORD_HEADER_BYTES + r.header.length;
  }
  await device.flush();
  return { records, bytes, discardedBytes };
}

/** Zeroes where the image cannot deallocate (the STAGED WRITE handler refuses UNMAP there; a replay must still apply). */
async function deallocate(device: BlockDevice, offset: number, length: number): Promise<void> {
  if (device.canDiscard) return device.discard(offset, length);
  const zeroes = Buffer.alloc(Math.min(length, 1024 * 1024));
  for (let at = 0; at < length; at += zeroes.length) await device.write(zeroes.subarray(0, Math.min(zeroes.length, length - at)), offset + at);
}
