/** A ReplicaLink over an in-memory backup that tests can cut, stall and delay. */
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { computeChallengeAnswer } from '../../src/replica-protocol/index.js';
import type { ChangeMapSlice, ReplicationActionCode, ReplicationStateReport } from '../../src/replica-protocol/index.js';
import { ReplicaLinkError, smooth, type AllocationExtent, type ChallengeExtent, type ExtentWrite, type LinkHealth, type ReplicaLink, type VolumeTag, type WriteData } from '../../src/replication/replica-link.js';
import { copyOfWrite, piecesOfWrite } from './write-data.js';
import { deviceExtents } from './device-extents.js';
import { TaskSet } from '../../src/scsi/task-set.js';
import { TaskAttribute } from '../../src/scsi/types.js';

export class FakeLink implements ReplicaLink {
  readonly blockSize = 512;
  readonly backup: MemoryBlockStore;
  tags: VolumeTag[] = [];
  cut = false;
  stalled = false;
  delayMs = 0;
  /** Extra latency reported for pings (to trip the RTT criterion). */
  fakeRttMs = 1;
  /** While set, every operation but a ping waits for it: a link the flusher is stuck on. */
  private gate: Promise<void> | undefined;
  private state: LinkHealth = { up: true, rttMs: undefined, writeLatencyMs: undefined, lastError: undefined, bytesWritten: 0 };

  /** Set to answer READ CAPACITY as another LUN would (a peer restarted grown, another block size); absent: `size`. */
  capacity?: () => Promise<{ size: number; blockSize: number }>;

  constructor(
    readonly size: number,
    private readonly timeoutMs = 50,
  ) {
    this.backup = new MemoryBlockStore({ size, path: 'fake-backup' });
  }

  health(): LinkHealth {
    return { ...this.state };
  }

  /** Writes and flushes in the order the backup carried them out (`write OFFSET[ fua]`, `flush`). */
  readonly trace: string[] = [];

  /** Writes as they were sent, before the backup carries them out (`write OFFSET[ ordered]`), and ORDERED flushes (`flush ordered`). */
  readonly sent: string[] = [];

  /** Each WRITE's data as sent: the buffers it came in (one, or a gather list's pieces). */
  readonly writePieces: Array<readonly Buffer[]> = [];

  /** Each WRITE SCATTERED's ranges as sent: the buffers each came in. */
  readonly scatteredPieces: Array<ReadonlyArray<readonly Buffer[]>> = [];

  write(data: WriteData, offset: number, durable: boolean, ordered = false): Promise<void> {
    const copy = copyOfWrite(data);
    this.writePieces.push(piecesOfWrite(data));
    this.sent.push(`write ${offset}${ordered ? ' ordered' : ''}`);
    return this.op(
      'write',
      async () => {
        this.trace.push(`write ${offset}${durable ? ' fua' : ''}`);
        await this.backup.write(copy, offset, durable);
        this.state.bytesWritten += copy.length;
        if (durable) this.state.writeLatencyMs = smooth(this.state.writeLatencyMs, this.delayMs + 0.1);
      },
      ordered,
    );
  }

  /** Writes per WRITE SCATTERED this backup takes (0: it does not take the command). */
  scatteredRanges = 0;

  writeScattered(writes: readonly ExtentWrite[], ordered = false): Promise<void> {
    if (writes.length > this.scatteredRanges) return Promise.reject(new Error(`WRITE SCATTERED of ${writes.length} ranges, the backup takes ${this.scatteredRanges}`));
    const copies = writes.map((w) => ({ offset: w.offset, data: copyOfWrite(w.data) }));
    this.scatteredPieces.push(writes.map((w) => piecesOfWrite(w.data)));
    this.sent.push(`scattered ${writes.map((w) => w.offset).join(',')}${ordered ? ' ordered' : ''}`);
    return this.op(
      'write',
      async () => {
        this.trace.push(`scattered ${writes.map((w) => w.offset).join(',')}`);
        await Promise.all(copies.map((w) => this.backup.write(w.data, w.offset)));
        for (const w of copies) this.state.bytesWritten += w.data.length;
      },
      ordered,
    );
  }

  read(buf: Buffer, offset: number): Promise<void> {
    return this.op('read', () => this.backup.read(buf, offset));
  }

  /** Discards the backup received (UNMAP), for tests; and their [offset, length]. */
  discards = 0;
  readonly discarded: Array<[number, number]> = [];
  /** Set true to act like a thin backup reading zeroes where it holds nothing (LBPME, LBPRZ). */
  thin: boolean | undefined = undefined;

  discard(offset: number, length: number): Promise<void> {
    return this.op('discard', async () => {
      await this.backup.discard(offset, length);
      this.discards++;
      this.discarded.push([offset, length]);
    });
  }

  /** Set false to act like a backup without thin provisioning (GET LBA STATUS refused): allocated everywhere. */
  reportsAllocation = true;
  /** Allocation queries answered, and chunks' worth of bytes each covered, for tests. */
  allocationQueries = 0;

  allocation(offset: number, maxLength: number): Promise<readonly AllocationExtent[] | undefined> {
    return this.op('get-lba-status', async () => {
      if (!this.reportsAllocation) return undefined;
      this.allocationQueries++;
      return deviceExtents(this.backup, offset, maxLength);
    });
  }

  flush(ordered = false): Promise<void> {
    if (ordered) this.sent.push('flush ordered');
    return this.op('flush', () => {
      this.trace.push('flush');
      return this.backup.flush();
    }, ordered);
  }

  challenge(extents: readonly ChallengeExtent[]): Promise<Buffer[]> {
    return this.op('challenge', async () => {
      const out: Buffer[] = [];
      for (const e of extents) {
        const data = Buffer.alloc(e.length);
        await this.backup.read(data, e.offset);
        out.push(computeChallengeAnswer({ data }, e.nonce, BigInt(e.offset / this.blockSize), e.length / this.blockSize));
      }
      return out;
    });
  }

  ping(): Promise<number> {
    return this.op('ping', async () => {
      this.state.rttMs = smooth(this.state.rttMs, this.fakeRttMs);
      return this.fakeRttMs;
    });
  }

  /** A plain backup LU: no replication state page, no change map, no replication control. */
  peerState(): Promise<ReplicationStateReport | undefined> {
    return this.op('replication-state', async () => undefined);
  }
  readChangeMap(): Promise<ChangeMapSlice> {
    return this.op('read-change-map', async () => {
      throw new Error('a plain LU has no change map');
    });
  }
  control(_action: ReplicationActionCode, _parameters: Buffer): Promise<boolean> {
    return this.op('replication-control', async () => false);
  }

  readTags(): Promise<VolumeTag[]> {
    return this.op('read-keys', async () => [...this.tags]);
  }

  claim(tag: VolumeTag, evict: readonly VolumeTag[]): Promise<void> {
    return this.op('claim', async () => {
      this.tags = this.tags.filter((t) => !evict.includes(t));
      if (!this.tags.includes(tag)) this.tags.push(tag);
    });
  }

  /** The staged pass the fake backup holds, as the real one would (pass-staging-log.ts); a discard has no data. */
  staged: { id: bigint; writes: Array<{ data: Buffer; offset: number } | { discard: number; offset: number }> } | undefined;
  /** Set false to act like a backup that cannot stage. */
  canStage = true;
  /** Set false to act like a backup from before staged discards (it refuses them). */
  canStageDiscard = true;
  /** Staged discards accepted, for tests. */
  stagedDiscards = 0;
  /** Commits applied, for tests. */
  commits = 0;
  /** Runs inside beginPass, before the pass reads any chunk (host writes "during" the pass). */
  onBeginPass: (() => Promise<void>) | undefined;
  /** Cut the link once this many staged writes have arrived. */
  cutAfterStagedWrites: number | undefined;

  beginPass(passId: bigint): Promise<boolean> {
    return this.op('begin-pass', async () => {
      await this.onBeginPass?.();
      if (!this.canStage) return false;
      this.staged = { id: passId, writes: [] };
      return true;
    });
  }

  stagedWrite(data: Buffer, offset: number): Promise<void> {
    const copy = Buffer.from(data);
    return this.op('staged-write', async () => {
      if (!this.staged) throw new Error('no staged pass is open');
      this.staged.writes.push({ data: copy, offset });
      if (this.cutAfterStagedWrites !== undefined && this.staged.writes.length >= this.cutAfterStagedWrites) this.cut = true;
      this.state.bytesWritten += copy.length;
    });
  }

  stagedDiscard(offset: number, length: number): Promise<boolean> {
    return this.op('staged-discard', async () => {
      if (!this.staged) throw new Error('no staged pass is open');
      if (!this.canStageDiscard) return false;
      this.staged.writes.push({ discard: length, offset });
      this.stagedDiscards++;
      return true;
    });
  }

  /** The staged bytes each commit was told of (its timeout grows with them). */
  committedStagedBytes: number[] = [];

  commitPass(passId: bigint, stagedBytes = 0): Promise<void> {
    this.committedStagedBytes.push(stagedBytes);
    return this.op('commit-pass', async () => {
      if (this.staged?.id !== passId) throw new Error('not the open pass');
      for (const w of this.staged.writes) await ('discard' in w ? this.backup.discard(w.offset, w.discard) : this.backup.write(w.data, w.offset));
      this.staged = undefined;
      this.commits++;
    });
  }

  abortPass(passId: bigint): Promise<void> {
    return this.op('abort-pass', async () => {
      if (this.staged?.id === passId) this.staged = undefined;
    });
  }

  async close(): Promise<void> {}

  /**
   * Holds every operation but pings until the returned function is called: the flusher is
   * stuck on its batch for exactly as long as the test wants, whatever the machine's speed.
   */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  /** The backup LU's task set: an ORDERED write waits for everything sent before it (and is aborted if one failed). */
  private readonly tasks = new TaskSet();

  private async op<T>(what: string, fn: () => Promise<T>, ordered = false): Promise<T> {
    const ticket = this.tasks.enter(ordered ? TaskAttribute.ORDERED : TaskAttribute.SIMPLE);
    try {
      if (this.cut) throw new Error('link cut');
      if (this.stalled) {
        await new Promise((r) => setTimeout(r, this.timeoutMs));
        throw new Error('timed out');
      }
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      if (what !== 'ping' && this.gate) await this.gate;
      if (ticket.ready && !(await ticket.ready)) throw new Error('aborted: an operation sent before it failed');
      if (this.cut) throw new Error('link cut');
      const v = await fn();
      ticket.done();
      this.state.up = true;
      return v;
    } catch (e) {
      ticket.done(true);
      this.state.up = false;
      this.state.lastError = `${what}: ${(e as Error).message}`;
      throw new ReplicaLinkError(this.state.lastError, { cause: e });
    }
  }
}
