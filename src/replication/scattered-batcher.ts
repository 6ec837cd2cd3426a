/**
 * Sends the backup's copies of small host writes that arrive in the same event-loop turn
 * (the host's commands read from its socket together) as one WRITE SCATTERED: one command
 * and one answer instead of one per write, at the backup as much as here. Synchronous
 * mirroring uses it for writes the host did not ask to be durable. A backup that does not
 * take the command, a write too large to pack, or a lone write: a plain WRITE. Writes in
 * one command must not overlap; one that overlaps a pending write starts the next command.
 */
import type { ReplicaLink } from './replica-link.js';

interface PendingWrite {
  data: Buffer;
  offset: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class ScatteredBatcher {
  private pending: PendingWrite[] = [];
  private pendingBytes = 0;
  private scheduled = false;

  constructor(
    private readonly link: ReplicaLink,
    /** Data bytes per command (default 60 KiB: with its descriptors, within a 64 KiB FirstBurstLength). */
    private readonly maxBytes = 60 * 1024,
  ) {}

  /**
   * Resolves once the backup has applied `data` at `offset` (not made durable). `data` stays
   * unchanged until then, and is never reused if this fails: it may be sent as it is.
   */
  write(data: Buffer, offset: number): Promise<void> {
    const ranges = this.link.scatteredRanges ?? 0;
    if (ranges < 2 || data.length * 2 > this.maxBytes) return this.link.write(data, offset, false);
    return new Promise<void>((resolve, reject) => {
      if (this.pending.length >= ranges || this.pendingBytes + data.length > this.maxBytes || this.overlapsPending(offset, data.length)) this.send();
      this.pending.push({ data, offset, resolve, reject });
      this.pendingBytes += data.length;
      if (!this.scheduled) {
        this.scheduled = true;
        // After this turn's I/O callbacks: every command read with this one has reached us.
        setImmediate(this.sendScheduled);
      }
    });
  }

  private readonly sendScheduled = (): void => {
    this.scheduled = false;
    this.send();
  };

  private overlapsPending(offset: number, length: number): boolean {
    // A loop, not some() with a closure: every write passes here.
    for (const w of this.pending) if (w.offset < offset + length && offset < w.offset + w.data.length) return true;
    return false;
  }

  private send(): void {
    const pack = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (pack.length === 0) return;
    // Lent, not copied: a caller's buffer is its own copy or held for the link until the backup answered, never reused after a failure (SyncMirror.writeRemote).
    const sent = pack.length === 1 ? this.link.write(pack[0]!.data, pack[0]!.offset, false) : this.link.writeScattered!(pack.map((w) => ({ offset: w.offset, data: w.data })), false, true);
    sent.then(
      () => pack.forEach((w) => w.resolve()),
      (e: unknown) => pack.forEach((w) => w.reject(e)),
    );
  }
}
