/**
 * A simulated backup machine and the link a primary reaches it through, for power-loss
 * tests: the backup's image is a PowerLossBlockStore, its metadata a PowerLossFiles, and
 * staged passes go through the real PassStagingLog, so a backup power loss exercises the
 * real recovery. Every link operation is delivered at a scheduler step (in any order, like
 * SIMPLE-tagged SCSI commands); a cut link fails operations, also after the backup carried
 * them out (the answer is lost); a stalled one fails them to the primary at once, as its
 * operation timeout would, while the backup still carries them out, late but before anything
 * sent after the stall. When the primary loses power its link dies: nothing it
 * sends afterwards arrives, nothing it was waiting for is answered.
 */
import { pino } from 'pino';
import { PassStagingLog } from '../../src/replication/pass-staging-log.js';
import { ReplicaLinkError, type AllocationExtent, type ChallengeExtent, type ExtentWrite, type LinkHealth, type ReplicaLink, type VolumeTag, type WriteData } from '../../src/replication/replica-link.js';
import { copyOfWrite } from './write-data.js';
import { deviceExtents } from './device-extents.js';
import { computeChallengeAnswer, type ChangeMapSlice, type ReplicationStateReport } from '../../src/replica-protocol/index.js';
import { PowerLossFiles } from '../support/power-loss-files.js';
import { PowerLossBlockStore, type CrashKeep } from '../support/power-loss-store.js';
import { never, SimNode, type Rng, type SimScheduler } from '../support/sim-scheduler.js';
import { TaskSet, type TaskTicket } from '../../src/scsi/task-set.js';
import { TaskAttribute } from '../../src/scsi/types.js';

export const BACKUP_META = '/backup/lun.tandem';
export const silentLogger = pino({ level: 'silent' });

export class SimBackup {
  /** Persistent-reservation keys: the backup target persists them itself (APTPL), outside this model. */
  tags: VolumeTag[] = [];
  /** Commits being applied: meanwhile readers see the image change chunk by chunk (atomic only against a crash). */
  committing = 0;
  /** Its LU's task set (a restart starts an empty one). */
  tasks = new TaskSet();
  private generation = 0;

  private constructor(
    private readonly scheduler: SimScheduler,
    public node: SimNode,
    public image: PowerLossBlockStore,
    public files: PowerLossFiles,
    public staging: PassStagingLog,
  ) {}

  /** A backup that starts (or restarts) on `image` and `files`: the staging log recovers first. */
  static async start(scheduler: SimScheduler, node: SimNode, image: PowerLossBlockStore, files: PowerLossFiles): Promise<SimBackup> {
    await files.mkdir(BACKUP_META);
    const staging = await PassStagingLog.open({ dir: BACKUP_META, device: image, files, logger: silentLogger });
    return new SimBackup(scheduler, node, image, files, staging);
  }

  /**
   * Power loss of the backup; `restart` then runs its recovery (the caller drives the
   * scheduler until it settles). Links to it stay valid.
   */
  crash(keep: CrashKeep, rng: Rng): () => Promise<void> {
    this.scheduler.kill(this.node);
    const node = new SimNode(`backup#${++this.generation}`);
    const place = { scheduler: this.scheduler, node };
    const image = this.image.crash({ keep, rng, place });
    const files = this.files.crash({ keep, rng, place });
    this.node = node;
    this.image = image;
    this.files = files;
    this.tasks = new TaskSet();
    return async () => {
      await files.mkdir(BACKUP_META);
      this.staging = await PassStagingLog.open({ dir: BACKUP_META, device: image, files, logger: silentLogger });
    };
  }
}

/** An operation in flight: its course on the backup, and how the primary gives up on it. */
interface Awaited {
  work: Promise<unknown>;
  timeOut: (hang: Hang) => void;
}

/** A stall: the backup's storage hangs until `resumed`, then `steps` more steps. */
interface Hang {
  resumed: Promise<void>;
  resume: () => void;
  steps: number;
}

export class SimLink implements ReplicaLink {
  readonly blockSize = 512;
  cut = false;
  private dead = false;
  /** Tasks this link sent that the backup has not finished. */
  private readonly open = new Set<TaskTicket>();
  /** Operations the primary waits for an answer to. */
  private readonly awaited = new Set<Awaited>();
  /** Settles once every operation the primary gave up on has run its course on the backup. */
  private drain: Promise<void> | undefined;
  /** Where the link reports what a trace should show (late landings). */
  note: (line: string) => void = () => undefined;
  /** Stalls whose operations wait for the backup's storage to resume. */
  private readonly hangs: Hang[] = [];
  private state: LinkHealth = { up: true, rttMs: undefined, writeLatencyMs: undefined, lastError: undefined, bytesWritten: 0 };

  constructor(
    private readonly backup: SimBackup,
    private readonly scheduler: SimScheduler,
    private readonly node: SimNode,
  ) {}

  get size(): number {
    return this.backup.image.size;
  }

  /**
   * The primary lost power: its connection is gone for good (the backup aborts the tasks it
   * had sent, but finishes those a stall left in its storage).
   */
  die(): void {
    this.dead = true;
    this.resumeStorage();
    for (const t of this.open) t.done(true);
    this.open.clear();
    this.scheduler.kill(this.node);
  }

  health(): LinkHealth {
    return { ...this.state };
  }

  write(data: WriteData, offset: number, durable: boolean, ordered = false): Promise<void> {
    const copy = copyOfWrite(data);
    return this.op(
      'write',
      async () => {
        await this.backup.image.write(copy, offset, durable);
        this.state.bytesWritten += copy.length;
        if (durable) this.state.writeLatencyMs = 1;
      },
      ordered ? TaskAttribute.ORDERED : TaskAttribute.SIMPLE,
    );
  }

  /** Small, so the simulated workloads' batches go in several WRITE SCATTERED commands. */
  readonly scatteredRanges = 4;

  /** One task; its writes land in any order, and a crash may keep any subset of them. */
  writeScattered(writes: readonly ExtentWrite[], ordered = false): Promise<void> {
    const copies = writes.map((w) => ({ offset: w.offset, data: copyOfWrite(w.data) }));
    return this.op(
      'write',
      async () => {
        await Promise.all(copies.map((w) => this.backup.image.write(w.data, w.offset)));
        for (const w of copies) this.state.bytesWritten += w.data.length;
      },
      ordered ? TaskAttribute.ORDERED : TaskAttribute.SIMPLE,
    );
  }

  read(buf: Buffer, offset: number): Promise<void> {
    return this.op('read', () => this.backup.image.read(buf, offset));
  }

  discard(offset: number, length: number): Promise<void> {
    return this.op('discard', () => this.backup.image.discard(offset, length));
  }

  /** The image's allocation as the backup target would report it (what it holds now, durable or not). */
  allocation(offset: number, maxLength: number): Promise<readonly AllocationExtent[] | undefined> {
    return this.op('get-lba-status', () => deviceExtents(this.backup.image, offset, maxLength));
  }

  flush(ordered = false): Promise<void> {
    return this.op('flush', () => this.backup.image.flush(), ordered ? TaskAttribute.ORDERED : TaskAttribute.SIMPLE);
  }

  challenge(extents: readonly ChallengeExtent[]): Promise<Buffer[]> {
    return this.op('challenge', async () => {
      const out: Buffer[] = [];
      for (const e of extents) {
        const data = Buffer.alloc(e.length);
        await this.backup.image.read(data, e.offset);
        out.push(computeChallengeAnswer({ data }, e.nonce, BigInt(e.offset / this.blockSize), e.length / this.blockSize));
      }
      return out;
    });
  }

  /** Answered at once (no step): the engine races its ping against a real 250 ms timer. */
  ping(): Promise<number> {
    if (this.dead) return never();
    if (this.cut) return Promise.reject(this.failed('ping', 'link cut'));
    this.state.up = true;
    this.state.rttMs = 1;
    return Promise.resolve(1);
  }

  /** The simulated backup is a plain LU (tags only), as FakeLink's: no replication state, map or control. */
  peerState(): Promise<ReplicationStateReport | undefined> {
    return this.op('replication-state', async () => undefined);
  }

  readChangeMap(): Promise<ChangeMapSlice> {
    return Promise.reject(new Error('a plain LU has no change map'));
  }

  control(): Promise<boolean> {
    return this.op('replication-control', async () => false);
  }

  readTags(): Promise<VolumeTag[]> {
    return this.op('read-keys', async () => [...this.backup.tags]);
  }

  claim(tag: VolumeTag, evict: readonly VolumeTag[]): Promise<void> {
    return this.op('claim', async () => {
      this.backup.tags = this.backup.tags.filter((t) => !evict.includes(t));
      if (!this.backup.tags.includes(tag)) this.backup.tags.push(tag);
    });
  }

  beginPass(passId: bigint): Promise<boolean> {
    return this.op('begin-pass', async () => {
      await this.backup.staging.begin(passId);
      return true;
    });
  }

  stagedWrite(data: Buffer, offset: number): Promise<void> {
    const copy = Buffer.from(data);
    return this.op('staged-write', async () => {
      await this.backup.staging.write(copy, offset);
      this.state.bytesWritten += copy.length;
    });
  }

  stagedDiscard(offset: number, length: number): Promise<boolean> {
    return this.op('staged-discard', async () => {
      await this.backup.staging.discard(offset, length);
      return true;
    });
  }

  commitPass(passId: bigint): Promise<void> {
    return this.op('commit-pass', async () => {
      const backup = this.backup;
      backup.committing++;
      try {
        await backup.staging.commit(passId);
      } finally {
        backup.committing--;
      }
    });
  }

  abortPass(passId: bigint): Promise<void> {
    return this.op('abort-pass', () => this.backup.staging.abort(passId));
  }

  async close(): Promise<void> {}

  private failed(what: string, why: string): ReplicaLinkError {
    this.state.up = false;
    this.state.lastError = `${what}: ${why}`;
    return new ReplicaLinkError(this.state.lastError);
  }

  /**
   * The primary's operation timeout fires on everything outstanding (the backup's storage
   * hangs): each operation fails to the primary at once, and the primary's next operation
   * goes on a new session, yet the backup still carries out what it was sent — later, once
   * its storage resumes: when that next operation is sent (or the primary dies), plus
   * `hangSteps` steps. Never after anything sent on the new session, though: the backup's
   * target runs the new session's commands to the LU only once the ended session's tasks
   * there have settled (SessionRegistry.holdsFor), so operations sent after a stall wait
   * for them.
   */
  stall(hangSteps: number): void {
    const late = [...this.awaited];
    this.awaited.clear();
    let resume!: () => void;
    const hang: Hang = { resumed: new Promise<void>((r) => (resume = r)), resume, steps: hangSteps };
    this.hangs.push(hang);
    const drain = Promise.allSettled([this.drain, ...late.map((a) => a.work)]).then(() => {
      if (this.drain === drain) this.drain = undefined;
    });
    this.drain = drain;
    for (const a of late) a.timeOut(hang);
  }

  private resumeStorage(): void {
    for (const h of this.hangs.splice(0)) h.resume();
  }

  /**
   * Delivery at a step; the backup carries the operation out when its LU's task set lets it
   * (the production TaskSet: an ORDERED write waits for everything sent before it, and is
   * aborted if one of those failed); the answer is lost if the link was cut meanwhile. An
   * operation the primary gave up on (stall) is still carried out once delivered.
   */
  private async op<T>(what: string, fn: () => Promise<T>, attribute: number = TaskAttribute.SIMPLE): Promise<T> {
    if (this.dead) return never();
    if (this.cut) throw this.failed(what, 'link cut');
    const lunHold = this.drain;
    this.resumeStorage();
    // Tasks enter in the order they are sent (one connection: CmdSN order), whatever order the steps deliver them in.
    const ticket = this.backup.tasks.enter(attribute);
    this.open.add(ticket);
    let late: Hang | undefined;
    const work = (async (): Promise<T> => {
      try {
        if (lunHold) await lunHold;
        await this.scheduler.defer(this.node, `deliver ${what}`, () => undefined);
        if (ticket.ready && !(await ticket.ready)) throw new Error('aborted: an operation sent before it failed');
        if (late) {
          await late.resumed;
          for (let i = 0; i <= late.steps; i++) await this.scheduler.defer(this.backup.node, `late ${what}`, () => undefined);
          this.note(`late ${what} lands on the backup`);
        } else if (this.cut || this.dead) {
          throw new Error('link cut');
        }
        const v = await fn();
        ticket.done();
        return v;
      } catch (e) {
        ticket.done(true);
        throw e;
      } finally {
        this.open.delete(ticket);
      }
    })();
    let timeOut!: (hang: Hang) => void;
    const timedOut = new Promise<never>((_, reject) => {
      timeOut = (hang) => {
        late = hang;
        reject(new Error('timed out'));
      };
    });
    const awaited: Awaited = { work, timeOut };
    this.awaited.add(awaited);
    let v: T;
    try {
      v = await Promise.race([work, timedOut]);
    } catch (e) {
      if (this.dead) return never();
      throw this.failed(what, (e as Error).message);
    } finally {
      this.awaited.delete(awaited);
    }
    if (this.dead) return never();
    if (this.cut) throw this.failed(what, 'link cut (answer lost)');
    this.state.up = true;
    return v;
  }
}
