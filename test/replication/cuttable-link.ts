/** Wraps a real ReplicaLink so a test can cut it (operations fail at once) and restore it. */
import type { ChallengeAlgorithmCode, ChangeMapSlice, ReplicationActionCode, ReplicationStateReport } from '../../src/replica-protocol/index.js';
import { ReplicaLinkError, type AllocationExtent, type ChallengeExtent, type ExtentWrite, type LinkHealth, type ReplicaLink, type VolumeTag, type WriteData } from '../../src/replication/replica-link.js';

export class CuttableLink implements ReplicaLink {
  cut = false;
  /** Staged passes committed through this link. */
  commits = 0;
  /** Allocation queries, UNMAPs and staged discards sent through this link. */
  allocationQueries = 0;
  discards = 0;
  stagedDiscards = 0;
  private down = false;

  constructor(private readonly inner: ReplicaLink) {}

  get size(): number {
    return this.inner.size;
  }
  get blockSize(): number {
    return this.inner.blockSize;
  }
  health(): LinkHealth {
    return { ...this.inner.health(), ...(this.down ? { up: false } : {}) };
  }
  write(data: WriteData, offset: number, durable: boolean, ordered?: boolean): Promise<void> {
    return this.gate(() => this.inner.write(data, offset, durable, ordered));
  }
  get scatteredRanges(): number {
    return this.inner.scatteredRanges ?? 0;
  }
  /** WRITE SCATTERED commands sent through this link. */
  scatteredCommands = 0;
  writeScattered(writes: readonly ExtentWrite[], ordered?: boolean): Promise<void> {
    this.scatteredCommands++;
    return this.gate(() => this.inner.writeScattered!(writes, ordered));
  }
  read(buf: Buffer, offset: number): Promise<void> {
    return this.gate(() => this.inner.read(buf, offset));
  }
  discard(offset: number, length: number): Promise<void> {
    this.discards++;
    return this.gate(() => this.inner.discard(offset, length));
  }
  allocation(offset: number, maxLength: number): Promise<readonly AllocationExtent[] | undefined> {
    this.allocationQueries++;
    return this.gate(() => this.inner.allocation(offset, maxLength));
  }
  flush(ordered = false): Promise<void> {
    return this.gate(() => this.inner.flush(ordered));
  }
  get challengeAlgorithms(): readonly number[] | undefined {
    return this.inner.challengeAlgorithms;
  }
  challenge(extents: readonly ChallengeExtent[], algorithm?: ChallengeAlgorithmCode): Promise<Buffer[]> {
    return this.gate(() => this.inner.challenge(extents, algorithm));
  }
  ping(): Promise<number> {
    return this.gate(() => this.inner.ping());
  }
  peerState(): Promise<ReplicationStateReport | undefined> {
    return this.gate(() => this.inner.peerState());
  }
  readChangeMap(chunks: number): Promise<ChangeMapSlice> {
    return this.gate(() => this.inner.readChangeMap(chunks));
  }
  control(action: ReplicationActionCode, parameters: Buffer): Promise<boolean> {
    return this.gate(() => this.inner.control(action, parameters));
  }
  readTags(): Promise<VolumeTag[]> {
    return this.gate(() => this.inner.readTags());
  }
  claim(tag: VolumeTag, evict: readonly VolumeTag[]): Promise<void> {
    return this.gate(() => this.inner.claim(tag, evict));
  }
  beginPass(passId: bigint): Promise<boolean> {
    return this.gate(() => this.inner.beginPass(passId));
  }
  stagedWrite(data: Buffer, offset: number): Promise<void> {
    return this.gate(() => this.inner.stagedWrite(data, offset));
  }
  stagedDiscard(offset: number, length: number): Promise<boolean> {
    this.stagedDiscards++;
    return this.gate(() => this.inner.stagedDiscard(offset, length));
  }
  commitPass(passId: bigint, stagedBytes: number): Promise<void> {
    return this.gate(async () => {
      await this.inner.commitPass(passId, stagedBytes);
      this.commits++;
    });
  }
  abortPass(passId: bigint): Promise<void> {
    return this.gate(() => this.inner.abortPass(passId));
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  private async gate<T>(op: () => Promise<T>): Promise<T> {
    if (this.cut) {
      this.down = true;
      throw new ReplicaLinkError('link cut by test');
    }
    const v = await op();
    this.down = false;
    return v;
  }
}
