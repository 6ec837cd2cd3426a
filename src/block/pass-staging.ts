/**
 * Writes (and deallocations) staged as one pass that reach a device only at commit, all of them at once: a
 * replication backup applies a delta pass this way (PassStagingLog in src/replication), so
 * its image moves from one consistent point to the next. The staged-pass commands (C4h,
 * C5h, src/scsi/replica-commands) drive it and map its errors to sense data; LUs without
 * one answer INVALID COMMAND OPERATION CODE.
 */

export interface PassStaging {
  /**
   * Goes up as each begin, commit or abort is called, before it does anything. A staged write
   * belongs to the pass open when its command arrived (in CmdSN order), not to whichever is
   * open once its Data-Out is complete: a primary that timed it out, or lost its connection,
   * may have opened its next pass in between, and the write's older data would reach the
   * image at that pass's commit. So the command takes the era it arrived in and is refused
   * (PassSequenceError, nothing staged) once the era has moved on. A primary sends a pass's
   * writes after its begin has answered and settles them before its commit or abort, so its
   * own writes never cross one.
   */
  readonly era: number;
  /**
   * Opens pass `passId`; a pass still open is discarded (none of its writes reach the image).
   * A committed pass whose copy onto the image failed is copied first; while that fails, so does this.
   */
  begin(passId: bigint): Promise<void>;
  /** Stages a write of the open pass; the image is unchanged until commit. */
  write(data: Buffer, offset: number): Promise<void>;
  /** Stages a deallocation of [offset, offset+length): it reads as zeroes once the pass commits. */
  discard(offset: number, length: number): Promise<void>;
  /** Applies every staged write of pass `passId` to the image, durably; all of them or (after a crash) none. */
  commit(passId: bigint): Promise<void>;
  /** Discards pass `passId`. */
  abort(passId: bigint): Promise<void>;
}

/** No pass open, or another pass than the one named: COMMAND SEQUENCE ERROR. */
export class PassSequenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PassSequenceError';
  }
}

/** The pass would stage more than the staging area accepts: INSUFFICIENT RESOURCES. */
export class PassCapacityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PassCapacityError';
  }
}
