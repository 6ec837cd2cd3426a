/**
 * What the replication engine needs from a backup, whatever carries it: durable extent
 * writes, reads, flush, challenge digests (for resync), allocation (for first syncs and
 * resyncs that move what is allocated), health, and the volume tag that
 * says which primary volume the replica belongs to. Every operation settles within the
 * link's operation timeout, so a stalled backup never stalls host I/O beyond it.
 */

/** An extent to challenge: the backup answers HMAC-SHA-256(D, nonce ‖ LBA ‖ blocks), D the extent's digest. */
export interface ChallengeExtent {
  offset: number;
  length: number;
  /** 16 bytes. */
  nonce: Buffer;
}

export interface LinkHealth {
  /** The last operation or ping succeeded. */
  up: boolean;
  /** Smoothed round trip of pings, ms; undefined before the first. */
  rttMs: number | undefined;
  /** Smoothed latency of remote writes (durable), ms. */
  writeLatencyMs: number | undefined;
  lastError: string | undefined;
  /**
   * The peer answered the last operation, even if it refused it (a SCSI status: out of space,
   * write protected): the network and the peer's target are fine, its LU is what fails.
   * Undefined before anything failed.
   */
  answering?: boolean;
  /** Payload bytes written to the backup since the link was created. */
  bytesWritten: number;
  /**
   * How many times the peer said its image changed under this link (UNIT ATTENTION, MEDIUM
   * MAY HAVE CHANGED: it was restored to a recovery point). Each asks for a fresh binding.
   */
  imageChanges?: number;
  /**
   * How many times the link logged in again after losing its connection. The peer behind
   * it may be another process now, even on a blank replacement disk: each asks for a fresh
   * binding before more is sent.
   */
  reconnects?: number;
}

import type { ChallengeAlgorithmCode, ChangeMapSlice, ReplicationActionCode, ReplicationStateReport } from '../replica-protocol/index.js';
import type { AllocationExtent } from '../block/device.js';

export type { AllocationExtent };

/**
 * A write's bytes: one buffer, or pieces sent back to back as they are (a gather list:
 * contiguous queued changes go in one WRITE without being copied into one buffer).
 */
export type WriteData = Buffer | readonly Buffer[];

/** Bytes for [offset, offset + their length). */
export interface ExtentWrite {
  offset: number;
  data: WriteData;
}

/** The 48-bit volume tag stored on the backup (see docs/replication.md, "Identity"). */
export type VolumeTag = bigint;

/** The replica's size and block size as it answers now: capacity() when the link asks, else what it found at connect. */
export function capacityOf(link: ReplicaLink): Promise<{ size: number; blockSize: number }> {
  return link.capacity ? link.capacity() : Promise.resolve({ size: link.size, blockSize: link.blockSize });
}

export interface ReplicaLink {
  /** Bytes of the replica LUN when the link was made; a primary binds only a replica at least its own size. */
  readonly size: number;
  readonly blockSize: number;
  /**
   * The replica LUN's size and block size as it answers now (READ CAPACITY): a peer may
   * have been restarted with a grown LUN behind a link that reconnected. Absent: `size`.
   */
  capacity?(): Promise<{ size: number; blockSize: number }>;
  /**
   * Write; `durable` makes it durable before resolving (FUA). `ordered`: the backup starts
   * it only once every operation sent before it has completed, and those sent after it wait
   * for it (the ORDERED task attribute), so a sender can pipeline dependent writes. The
   * bytes stay unchanged until this settles and are never reused if it fails: they may be
   * sent as they are, from a socket's write queue.
   */
  write(data: WriteData, offset: number, durable: boolean, ordered?: boolean): Promise<void>;
  /** Writes one WRITE SCATTERED may carry; 0 or absent: the backup does not take that command. */
  readonly scatteredRanges?: number;
  /**
   * At most `scatteredRanges` writes whose ranges do not overlap, in one command (WRITE
   * SCATTERED), not made durable; `ordered` as for write(). `lent`: the writes' buffers stay
   * unchanged until this settles and are never reused if it fails (write()'s rule for its
   * buffer), so they are sent as they are; otherwise they are copied.
   */
  writeScattered?(writes: readonly ExtentWrite[], ordered?: boolean, lent?: boolean): Promise<void>;
  read(buf: Buffer, offset: number): Promise<void>;
  /** Deallocate a range on the replica (UNMAP); it reads back as zeroes, as on the primary. */
  discard(offset: number, length: number): Promise<void>;
  /**
   * The replica is thin and reads zeroes where it holds nothing (READ CAPACITY(16) LBPME and
   * LBPRZ): a pass deallocates zero blocks there instead of writing them. Absent: unknown.
   */
  readonly thin?: boolean;
  /**
   * The replica's allocation from `offset` (GET LBA STATUS): consecutive extents, the first
   * starting at `offset`, together at most `maxLength` bytes and possibly fewer (ask again
   * from where they end). Undefined when the replica cannot tell — no thin provisioning,
   * no GET LBA STATUS, a malformed answer: the engine then treats it as allocated everywhere.
   */
  allocation(offset: number, maxLength: number): Promise<readonly AllocationExtent[] | undefined>;
  /**
   * SYNCHRONIZE CACHE. `ordered`: a barrier in the pipeline (SAM's ORDERED task attribute):
   * the backup starts it once every command sent before it has completed, and the commands
   * sent after it only once it has (or aborts them if it failed). Unordered, the replicator's
   * flush runs at once, outside the backup's task set.
   */
  flush(ordered?: boolean): Promise<void>;
  /** The challenge algorithms the peer advertises (VPD C0h); undefined: SHA-256 only. */
  readonly challengeAlgorithms?: readonly number[];
  /** One answer per extent, in order (HMAC mode of the vendor challenge), by `algorithm` (default SHA-256). */
  challenge(extents: readonly ChallengeExtent[], algorithm?: ChallengeAlgorithmCode): Promise<Buffer[]>;
  /** Round trip in ms; throws when the backup does not answer. */
  ping(): Promise<number>;
  health(): LinkHealth;
  /**
   * Called when the link counts a peer event (a reconnect, an image change: see LinkHealth),
   * so the engine judges the link at once rather than at its next tick. One listener.
   */
  onPeerEvent?: (() => void) | undefined;
  /** Tandem volume tags registered on the replica (normally zero or one). */
  readTags(): Promise<VolumeTag[]>;
  /** Register `tag` as the replica's owner; `evict` first removes these foreign tags. */
  claim(tag: VolumeTag, evict: readonly VolumeTag[]): Promise<void>;
  /**
   * Opens a staged pass on the backup: stagedWrite()s reach its image only at commitPass(),
   * all at once (a crash before leaves the previous image). False when the backup cannot
   * stage (not a Tandem backup): the pass then writes in place.
   */
  beginPass(passId: bigint): Promise<boolean>;
  stagedWrite(data: Buffer, offset: number): Promise<void>;
  /**
   * Stages a deallocation of [offset, offset+length) into the open pass: it reads as zeroes
   * once the pass commits. False when the backup cannot stage one (the range is unchanged
   * by the call; the pass stages zeroes instead).
   */
  stagedDiscard(offset: number, length: number): Promise<boolean>;
  /** Applies the pass on the backup, durably; `stagedBytes` sizes the time allowed. */
  commitPass(passId: bigint, stagedBytes: number): Promise<void>;
  abortPass(passId: bigint): Promise<void>;
  /** The peer LU's replication state (role, generations); undefined when it is not a replicated Tandem LU. */
  peerState(): Promise<ReplicationStateReport | undefined>;
  /** The peer's change map as far as its first `chunks` chunks (the local volume's: no further, whatever the peer claims). */
  readChangeMap(chunks: number): Promise<ChangeMapSlice>;
  /** A REPLICATION CONTROL action on the peer; false when it does not implement the command. */
  control(action: ReplicationActionCode, parameters: Buffer): Promise<boolean>;
  close(): Promise<void>;
}

/** A link operation failed or timed out; the engine falls back to delta tracking. */
export class ReplicaLinkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicaLinkError';
  }
}

/** The peer answered the command with CHECK CONDITION (it refused it): the link itself works. */
export function peerRefused(e: unknown): boolean {
  const cause = e instanceof ReplicaLinkError ? e.cause : undefined;
  return typeof cause === 'object' && cause !== null && (cause as { name?: string }).name === 'ScsiCheckConditionError';
}

/** Exponentially weighted moving average, for RTT and latency figures. */
export function smooth(previous: number | undefined, sample: number, weight = 0.25): number {
  return previous === undefined ? sample : previous + weight * (sample - previous);
}
