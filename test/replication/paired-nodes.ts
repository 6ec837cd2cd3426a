/**
 * Two ReplicatedDevices as the two nodes of a pair, each reaching the other through a
 * PairedLink that behaves as the peer's SCSI target would: the peer's write guard (only a
 * backup takes the replicator's writes; DATA PROTECT otherwise), its replication state,
 * change map and REPLICATION CONTROL, its PR volume tags, and a link that can be cut
 * (a partition) or a node that can be crashed and reopened from what it persisted.
 */
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import type { PowerLossBlockStore } from '../support/power-loss-store.js';
import {
  ReplicationAction,
  ReplicationSequenceError,
  computeChallengeAnswer,
  decodeAdoptParameters,
  decodePointParameters,
  decodeSharedPrState,
  type ChangeMapSlice,
  type ReplicationActionCode,
  type ReplicationStateReport,
} from '../../src/replica-protocol/index.js';
import { ReplicaLinkError, type AllocationExtent, type ChallengeExtent, type ExtentWrite, type LinkHealth, type ReplicaLink, type VolumeTag, type WriteData } from '../../src/replication/replica-link.js';
import { copyOfWrite } from './write-data.js';
import { testTempDir } from '../support/test-temp-dir.js';
import { deviceExtents } from './device-extents.js';
import { ReplicatedDevice, type ReplicatedDeviceOptions } from '../../src/replication/replicated-device.js';
import type { ReplicationRole } from '../../src/replication/settings.js';
import type { PointImages } from '../../src/replication/points/backup-points.js';
import { PreservingDevice } from '../../src/replication/points/preserving-device.js';
import { capturedLog, type CapturedLog } from './captured-log.js';
import { TaskSet, type TaskTicket } from '../../src/scsi/task-set.js';
import { TaskAttribute } from '../../src/scsi/types.js';

export const PAIR_VOLUME = 1024 * 1024;
export const PAIR_CHUNK = 64 * 1024;

/** What a CHECK CONDITION looks like to the engine (the initiator's error class name). */
class FakeCheckCondition extends Error {
  override readonly name = 'ScsiCheckConditionError';
}

/** One node: its image, metadata directory and PR tags survive a crash; its device does not. */
export class Node {
  device!: ReplicatedDevice;
  /** Its disk: one that keeps every write, or (a test's choice) one that forgets what no flush covered at a power loss. */
  store: MemoryBlockStore | PowerLossBlockStore;
  metaDir: string;
  tags: VolumeTag[] = [];
  /** Bytes of data written to this node by its peer (WRITEs and staged writes). */
  bytesReceived = 0;
  /** Bytes deallocated on this node by its peer (UNMAP). */
  bytesDiscarded = 0;
  /** The link this node's device uses to reach its peer. */
  readonly link: PairedLink;
  /** What this node's engine logged (every open appends). */
  readonly log: CapturedLog = capturedLog();
  /** Recovery points this node keeps (its writes preserve for them; it takes the points its primary marks). */
  points: PointImages | undefined;
  /** A SCSI target in front of the device (tests of what hosts see): REPLICATION CONTROL goes through it. */
  replicationControl: ((action: ReplicationActionCode, parameters: Buffer) => Promise<boolean>) | undefined;

  constructor(
    readonly name: string,
    readonly pair: Pair,
  ) {
    this.store = new MemoryBlockStore({ size: PAIR_VOLUME, path: name });
    this.metaDir = testTempDir(`pair-${name}`);
    this.link = new PairedLink(pair, this);
  }

  /** The node's disk swapped for a blank one (a replaced backup): it is down until opened again. */
  replaceDisk(): void {
    this.crash();
    this.store = new MemoryBlockStore({ size: PAIR_VOLUME, path: this.name });
    this.metaDir = testTempDir(`pair-${this.name}`);
    this.tags = [];
  }

  get peer(): Node {
    return this.pair.a === this ? this.pair.b : this.pair.a;
  }

  async open(role: ReplicationRole, options: Partial<ReplicatedDeviceOptions> = {}): Promise<ReplicatedDevice> {
    this.link.reset();
    // Up while it opens: a primary binds its peer before it returns.
    this.up = true;
    this.device = await ReplicatedDevice.open({
      local: this.points ? new PreservingDevice(this.store, this.points) : this.store,
      link: this.link,
      metaDir: this.metaDir,
      role,
      tickMs: 0,
      clock: () => this.pair.clock.now,
      thresholds: { healthyForMs: 1000, lowTrafficBytesPerSec: 0 },
      // One activity-log extent per chunk: a crash marks exactly the chunks written since the last confirmation.
      activityExtentSize: PAIR_CHUNK,
      logger: this.log.logger,
      ...options,
    });
    if (this.points) this.device.points.attach(this.points);
    return this.device;
  }

  /** Whether the device answers its peer (false: crashed, or not opened again yet). */
  up = false;

  /**
   * A crash: the device stops answering and is dropped without a clean close (its timers
   * are none: tickMs 0). The memory image and the metadata files stay as they were.
   */
  crash(): void {
    this.up = false;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const b = Buffer.alloc(length);
    await this.store.read(b, offset);
    return b;
  }

  async image(): Promise<Buffer> {
    return this.read(0, PAIR_VOLUME);
  }
}

export class Pair {
  readonly clock = { now: 1_000_000 };
  readonly a: Node;
  readonly b: Node;
  /** Both directions of the network between the nodes. */
  partitioned = false;

  constructor() {
    this.a = new Node('a', this);
    this.b = new Node('b', this);
  }

  /** Advances the clock and ticks both nodes (a crashed one does not tick). */
  async tick(ms = 1000): Promise<void> {
    this.clock.now += ms;
    for (const n of [this.a, this.b]) if (n.up) await n.device.tick();
  }

  /**
   * Ticks until `done` holds, at most `max` times, letting real I/O (journal syncs, file
   * writes) progress between ticks; gives up after 20 s of real time.
   */
  async tickUntil(done: () => boolean, max = 200, ms = 1000): Promise<boolean> {
    const deadline = Date.now() + 20_000;
    for (let i = 0; i < max && !done() && Date.now() < deadline; i++) {
      await this.tick(ms);
      await new Promise((r) => setTimeout(r, 2));
    }
    return done();
  }

  /** Waits (real time, ticking nothing) for background work such as the journal shipper. */
  async settle(done: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the pair to settle');
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async close(): Promise<void> {
    for (const n of [this.a, this.b]) if (n.up) await n.device.close().catch(() => undefined);
  }
}

/** A ReplicaLink from `from` to its peer node, as the peer's SCSI target answers it. */
export class PairedLink implements ReplicaLink {
  readonly size = PAIR_VOLUME;
  readonly blockSize = 512;
  private health_: LinkHealth = { up: true, rttMs: undefined, writeLatencyMs: undefined, lastError: undefined, bytesWritten: 0 };
  private closed = false;

  constructor(
    private readonly pair: Pair,
    private readonly from: Node,
  ) {}

  reset(): void {
    this.closed = false;
  }

  /** The link lost its connection and logged in again, with no operation failing meanwhile (as the initiator's reconnect hides it). */
  reconnected(): void {
    this.health_.reconnects = (this.health_.reconnects ?? 0) + 1;
    this.onPeerEvent?.();
  }

  onPeerEvent: (() => void) | undefined;

  health(): LinkHealth {
    return { ...this.health_ };
  }

  /** While set, data writes to the peer (or another kind of operation) wait (changes pile up in the sender's queue). */
  private held: Promise<void> | undefined;
  private heldKind = 'write';
  private releaseHeld: (() => void) | undefined;

  hold(what: 'write' | 'flush' | 'replication-control' = 'write'): void {
    this.heldKind = what;
    this.held ??= new Promise((r) => (this.releaseHeld = r));
  }

  release(): void {
    this.releaseHeld?.();
    this.held = undefined;
  }

  /** The next operation of this kind reaches the peer and runs there, but its answer is lost (the connection dropped). */
  loseAnswer(what: 'replication-control'): void {
    this.answerLost = what;
  }

  private answerLost: string | undefined;

  /** The next ADOPT runs on the peer, but its answer is lost (the connection dropped). */
  loseAdoptAnswer(): void {
    this.adoptAnswerLost = true;
  }

  private adoptAnswerLost = false;

  /** The peer LU's task set as this link's commands see it: an ORDERED write waits for everything sent before it (aborted if one failed). */
  private readonly tasks = new TaskSet();

  private async op<T>(what: string, fn: (peer: Node) => Promise<T>, ordered = false): Promise<T> {
    const ticket = this.tasks.enter(ordered ? TaskAttribute.ORDERED : TaskAttribute.SIMPLE);
    try {
      const v = await this.opInOrder(what, fn, ticket);
      ticket.done();
      return v;
    } catch (e) {
      ticket.done(true);
      throw e;
    }
  }

  private async opInOrder<T>(what: string, fn: (peer: Node) => Promise<T>, ticket: TaskTicket): Promise<T> {
    if (what === this.heldKind && this.held) await this.held;
    if (ticket.ready && !(await ticket.ready)) throw new ReplicaLinkError(`${what} on replica failed: aborted, an operation sent before it failed`);
    // A node that crashed sends nothing more, whatever it had in flight.
    if (!this.from.up) throw new ReplicaLinkError(`${what} on replica failed: this node is down`);
    const peer = this.from.peer;
    if (this.closed || this.pair.partitioned || !peer.up) {
      const message = `${what} on replica failed: ${this.closed ? 'link closed' : this.pair.partitioned ? 'network partitioned' : 'peer down'}`;
      this.health_ = { ...this.health_, up: false, lastError: message };
      throw new ReplicaLinkError(message);
    }
    try {
      const v = await fn(peer);
      if (this.answerLost === what) {
        this.answerLost = undefined;
        throw new Error('connection lost with the command in flight');
      }
      this.health_.up = true;
      return v;
    } catch (e) {
      const message = `${what} on replica failed: ${(e as Error).message}`;
      this.health_ = { ...this.health_, up: false, lastError: message };
      throw new ReplicaLinkError(message, { cause: e });
    }
  }

  /** The peer's write guard: DATA PROTECT unless it is a backup taking its primary's writes. */
  private guard(peer: Node): void {
    if (!peer.device.acceptsWrites(true)) throw new FakeCheckCondition('DATA PROTECT / WRITE PROTECTED');
  }

  write(data: WriteData, offset: number, durable: boolean, ordered = false): Promise<void> {
    const copy = copyOfWrite(data);
    return this.op(
      'write',
      async (peer) => {
        this.guard(peer);
        await peer.device.write(copy, offset, durable);
        peer.bytesReceived += copy.length;
        this.health_.bytesWritten += copy.length;
      },
      ordered,
    );
  }

  readonly scatteredRanges = 16;

  writeScattered(writes: readonly ExtentWrite[], ordered = false): Promise<void> {
    const copies = writes.map((w) => ({ offset: w.offset, data: copyOfWrite(w.data) }));
    return this.op(
      'write',
      async (peer) => {
        this.guard(peer);
        await Promise.all(copies.map((w) => peer.device.write(w.data, w.offset)));
        for (const w of copies) {
          peer.bytesReceived += w.data.length;
          this.health_.bytesWritten += w.data.length;
        }
      },
      ordered,
    );
  }

  read(buf: Buffer, offset: number): Promise<void> {
    return this.op('read', (peer) => peer.device.read(buf, offset));
  }

  discard(offset: number, length: number): Promise<void> {
    return this.op('discard', async (peer) => {
      this.guard(peer);
      await peer.device.discard(offset, length);
      peer.bytesDiscarded += length;
    });
  }

  /** As a thin Tandem LU answers GET LBA STATUS: its image's allocation (the ReplicatedDevice passes it through). */
  allocation(offset: number, maxLength: number): Promise<readonly AllocationExtent[] | undefined> {
    return this.op('get-lba-status', (peer) => deviceExtents(peer.device, offset, maxLength));
  }

  flush(ordered = false): Promise<void> {
    return this.op('flush', (peer) => peer.device.flush(), ordered);
  }

  challenge(extents: readonly ChallengeExtent[]): Promise<Buffer[]> {
    return this.op('challenge', async (peer) => {
      const out: Buffer[] = [];
      for (const e of extents) {
        const data = await peer.read(e.offset, e.length);
        out.push(computeChallengeAnswer({ data }, e.nonce, BigInt(e.offset / this.blockSize), e.length / this.blockSize));
      }
      return out;
    });
  }

  ping(): Promise<number> {
    return this.op('ping', async () => {
      this.health_.rttMs = 1;
      return 1;
    });
  }

  readTags(): Promise<VolumeTag[]> {
    return this.op('read-keys', async (peer) => [...peer.tags]);
  }

  claim(tag: VolumeTag, evict: readonly VolumeTag[]): Promise<void> {
    return this.op('claim', async (peer) => {
      peer.tags = peer.tags.filter((t) => !evict.includes(t));
      if (!peer.tags.includes(tag)) peer.tags.push(tag);
    });
  }

  /** Passes go in place here: staging is the staged-pass tests' subject, not the pair's. */
  beginPass(): Promise<boolean> {
    return this.op('begin-pass', async () => false);
  }

  stagedWrite(): Promise<void> {
    return Promise.reject(new Error('no staged pass'));
  }

  stagedDiscard(): Promise<boolean> {
    return Promise.reject(new Error('no staged pass'));
  }

  commitPass(): Promise<void> {
    return Promise.reject(new Error('no staged pass'));
  }

  abortPass(): Promise<void> {
    return Promise.resolve();
  }

  peerState(): Promise<ReplicationStateReport | undefined> {
    return this.op('replication-state', async (peer) => peer.device.endpoint.state());
  }

  readChangeMap(chunks: number): Promise<ChangeMapSlice> {
    return this.op('read-change-map', async (peer) => peer.device.endpoint.changeMap(0, Math.ceil(chunks / 8)));
  }

  control(action: ReplicationActionCode, parameters: Buffer): Promise<boolean> {
    // PR STATE goes either way, whatever the roles: through the peer's SCSI target when it has one.
    if (action === ReplicationAction.PR_STATE) {
      return this.op('replication-control', async (peer) => {
        if (peer.replicationControl) return peer.replicationControl(action, parameters);
        peer.device.endpoint.offerPrState(decodeSharedPrState(parameters));
        return true;
      });
    }
    return this.op('replication-control', async (peer) => {
      this.guard(peer);
      try {
        if (action === ReplicationAction.BEGIN_RESYNC) await peer.device.endpoint.beginResync(parameters.readBigUInt64BE(0));
        else if (action === ReplicationAction.ADOPT) {
          await peer.device.endpoint.adopt(decodeAdoptParameters(parameters));
          if (this.adoptAnswerLost) {
            this.adoptAnswerLost = false;
            throw new Error('connection lost with the command in flight');
          }
        }
        else if (action === ReplicationAction.POINT) await peer.device.endpoint.takePoint(decodePointParameters(parameters));
        else await peer.device.endpoint.promoteBySwitchover(parameters.readBigUInt64BE(0));
      } catch (e) {
        if (e instanceof ReplicationSequenceError) throw new FakeCheckCondition(`COMMAND SEQUENCE ERROR: ${e.message}`);
        throw e;
      }
      return true;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A pair in continuous mirroring: `a` the primary, `b` its backup, first sync done. */
export async function syncedPair(options: Partial<ReplicatedDeviceOptions> = {}): Promise<Pair> {
  const pair = new Pair();
  await pair.b.open('backup', options);
  await pair.a.open('primary', options);
  await pair.tickUntil(() => pair.a.device.status().state === 'continuous');
  if (pair.a.device.status().state !== 'continuous') throw new Error(`the pair did not reach continuous: ${JSON.stringify(pair.a.device.status().binding)}`);
  return pair;
}

/** Writes `count` blocks of `fill` at chunk-aligned offsets `chunks` (one 4 KiB write per chunk). */
export async function writeChunks(device: ReplicatedDevice, chunks: readonly number[], fill: number): Promise<void> {
  await Promise.all(chunks.map((c) => device.write(Buffer.alloc(4096, fill), c * PAIR_CHUNK)));
}
