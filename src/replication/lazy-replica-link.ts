/**
 * A ReplicaLink to a backup that was unreachable when the primary started: the primary
 * serves its hosts at once (tracking writes in the delta table, as with any failed link)
 * and this link keeps trying to connect, at most once per retry interval, each time an
 * operation or the engine's ping asks for it. Until then every operation fails with
 * ReplicaLinkError. Whether a replica's size and block size fit is the binding's to say
 * (ReplicaBinding): it asks again after each failure, so a peer grown meanwhile is taken.
 */
import type { ChallengeAlgorithmCode, ChangeMapSlice, ReplicationActionCode, ReplicationStateReport } from '../replica-protocol/index.js';
import { ReplicaLinkError, capacityOf, type AllocationExtent, type ChallengeExtent, type ExtentWrite, type LinkHealth, type ReplicaLink, type VolumeTag, type WriteData } from './replica-link.js';

export interface LazyReplicaLinkOptions {
  /** One connection attempt (IscsiReplicaLink.connect). */
  connect: () => Promise<ReplicaLink>;
  /** The local LUN's size and block size (what `size` says until a replica answers). */
  size: number;
  blockSize: number;
  /** Why the first attempt failed (shown until the next one). */
  firstError: string;
  /**
   * Whether a failed attempt was the peer answering and refusing (a login rejected), not a
   * peer away: status then says the replica fails, not the link. Default: never.
   */
  refused?: (error: unknown) => boolean;
  /** Whether the first attempt's failure was a refusal (as refused would say). */
  firstRefused?: boolean;
  /** Minimum time between attempts (default 2 s). */
  retryMs?: number;
  clock?: () => number;
}

export class LazyReplicaLink implements ReplicaLink {
  readonly size: number;
  readonly blockSize: number;
  private inner: ReplicaLink | undefined;
  private peerEventListener: (() => void) | undefined;
  private attempt: Promise<void> | undefined;
  private lastAttemptAt: number;
  private lastError: string;
  private lastRefused: boolean;
  private closed = false;
  private readonly retryMs: number;
  private readonly clock: () => number;

  constructor(private readonly options: LazyReplicaLinkOptions) {
    this.size = options.size;
    this.blockSize = options.blockSize;
    this.lastError = options.firstError;
    this.lastRefused = options.firstRefused ?? false;
    this.retryMs = options.retryMs ?? 2000;
    this.clock = options.clock ?? Date.now;
    this.lastAttemptAt = this.clock();
  }

  /** Passed on to the link once connected (the first connection itself is no peer event: the engine binds it anyway). */
  get onPeerEvent(): (() => void) | undefined {
    return this.peerEventListener;
  }

  set onPeerEvent(listener: (() => void) | undefined) {
    this.peerEventListener = listener;
    if (this.inner) this.inner.onPeerEvent = listener;
  }

  /** Whether a connection has been made (from then on this is a thin pass-through). */
  get connected(): boolean {
    return this.inner !== undefined;
  }

  health(): LinkHealth {
    return this.inner?.health() ?? { up: false, rttMs: undefined, writeLatencyMs: undefined, lastError: this.lastError, answering: this.lastRefused, bytesWritten: 0 };
  }

  write(data: WriteData, offset: number, durable: boolean, ordered?: boolean): Promise<void> {
    return this.via((l) => l.write(data, offset, durable, ordered));
  }
  /** 0 until connected: a sender decides per command, and the first commands go before any connection exists. */
  get scatteredRanges(): number {
    return this.inner?.scatteredRanges ?? 0;
  }
  writeScattered(writes: readonly ExtentWrite[], ordered?: boolean, lent?: boolean): Promise<void> {
    return this.via((l) => (l.writeScattered ? l.writeScattered(writes, ordered, lent) : Promise.reject(new Error('the backup does not take WRITE SCATTERED'))));
  }
  read(buf: Buffer, offset: number): Promise<void> {
    return this.via((l) => l.read(buf, offset));
  }
  discard(offset: number, length: number): Promise<void> {
    return this.via((l) => l.discard(offset, length));
  }
  allocation(offset: number, maxLength: number): Promise<readonly AllocationExtent[] | undefined> {
    return this.via((l) => l.allocation(offset, maxLength));
  }
  flush(ordered = false): Promise<void> {
    return this.via((l) => l.flush(ordered));
  }
  get thin(): boolean | undefined {
    return this.inner?.thin;
  }
  get challengeAlgorithms(): readonly number[] | undefined {
    return this.inner?.challengeAlgorithms;
  }
  challenge(extents: readonly ChallengeExtent[], algorithm?: ChallengeAlgorithmCode): Promise<Buffer[]> {
    return this.via((l) => l.challenge(extents, algorithm));
  }
  ping(): Promise<number> {
    return this.via((l) => l.ping());
  }
  capacity(): Promise<{ size: number; blockSize: number }> {
    return this.via(capacityOf);
  }
  readTags(): Promise<VolumeTag[]> {
    return this.via((l) => l.readTags());
  }
  claim(tag: VolumeTag, evict: readonly VolumeTag[]): Promise<void> {
    return this.via((l) => l.claim(tag, evict));
  }
  beginPass(passId: bigint): Promise<boolean> {
    return this.via((l) => l.beginPass(passId));
  }
  stagedWrite(data: Buffer, offset: number): Promise<void> {
    return this.via((l) => l.stagedWrite(data, offset));
  }
  stagedDiscard(offset: number, length: number): Promise<boolean> {
    return this.via((l) => l.stagedDiscard(offset, length));
  }
  commitPass(passId: bigint, stagedBytes: number): Promise<void> {
    return this.via((l) => l.commitPass(passId, stagedBytes));
  }
  abortPass(passId: bigint): Promise<void> {
    return this.via((l) => l.abortPass(passId));
  }
  peerState(): Promise<ReplicationStateReport | undefined> {
    return this.via((l) => l.peerState());
  }
  readChangeMap(chunks: number): Promise<ChangeMapSlice> {
    return this.via((l) => l.readChangeMap(chunks));
  }
  control(action: ReplicationActionCode, parameters: Buffer): Promise<boolean> {
    return this.via((l) => l.control(action, parameters));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.attempt?.catch(() => undefined);
    await this.inner?.close();
  }

  private async via<T>(op: (link: ReplicaLink) => Promise<T>): Promise<T> {
    if (!this.inner) {
      if (!this.attempt && !this.closed && this.clock() - this.lastAttemptAt >= this.retryMs) this.attempt = this.tryConnect().finally(() => (this.attempt = undefined));
      await this.attempt;
    }
    if (!this.inner) throw new ReplicaLinkError(`replica not connected: ${this.lastError}`);
    return op(this.inner);
  }

  private async tryConnect(): Promise<void> {
    this.lastAttemptAt = this.clock();
    let link: ReplicaLink;
    try {
      link = await this.options.connect();
    } catch (e) {
      this.lastError = (e as Error).message;
      this.lastRefused = this.options.refused?.(e) ?? false;
      return;
    }
    if (this.closed) {
      await link.close().catch(() => undefined);
      return;
    }
    link.onPeerEvent = this.peerEventListener;
    this.inner = link;
  }
}
