/**
 * Host I/O for the failure tests: a few concurrent writers on one IscsiSession to the
 * primary, each write's latency measured, every acknowledged write recorded (offset and a
 * digest of its data) so a test can check that nothing acknowledged went missing.
 *
 * For failover a writer can follow the primary role: given `failover` (the other node),
 * a write the current node refuses as not served there (ALUA: NOT READY, LOGICAL UNIT NOT
 * ACCESSIBLE through a standby, unavailable or transitioning port — a backup, a stale
 * primary, a primary just demoted; or DATA PROTECT from a node without ALUA: the write was
 * not executed, so never acknowledged) is retried, same data, on the other node, and the
 * writer stays there. Each acknowledgement records which node gave it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { IscsiSession, ScsiCheckConditionError } from '../../src/initiator/index.js';
import { HOST_IQN, PRIMARY_IQN } from './cluster.js';

export const BLOCK = 512;

export interface WriteSpec {
  /** Byte offset, a multiple of 512. */
  offset: number;
  length: number;
  /** The LUN written (default 0). */
  lun?: number;
}

export interface AckedWrite extends WriteSpec {
  sha256: string;
  ackedAt: number;
  /** The target (IQN) that acknowledged it. */
  node: string;
  /** The writer (0..depth-1) that issued it: one writer's writes are sequential. */
  worker: number;
  /** With `readBack`: what the acknowledging node's image held right after the acknowledgement. */
  atAck?: string;
}

/**
 * A write issued and never acknowledged (in flight when its node was killed, or failed): its
 * extent may hold its data or what was there before.
 */
export interface UnacknowledgedWrite extends WriteSpec {
  sha256: string;
  worker: number;
}

export interface WriterStats {
  acked: number;
  bytes: number;
  maxLatencyMs: number;
  /** Writes that failed (a host-visible error: the engine promised none). */
  errors: string[];
  /** Writes refused with DATA PROTECT and retried on the other node (failover writers). */
  refused: number;
  /** Each move to the other node: when, and where to. */
  redirects: Array<{ at: number; to: string }>;
}

/** A node a host can write to: its portal port and target name. */
export interface HostNode {
  port: number;
  iqn: string;
}

export interface HostWriterOptions {
  port: number;
  /** Target name on `port` (default PRIMARY_IQN). */
  iqn?: string;
  /** The other node: where a write refused with DATA PROTECT is retried (see the file comment). */
  failover?: HostNode;
  /** A write refused everywhere for this long is an error (default 30 s). */
  refusedForMs?: number;
  /** Concurrent writers (queue depth). */
  depth: number;
  /** The n-th write's extent (`worker`: which of the `depth` writers issues it). */
  next: (n: number, worker: number) => WriteSpec;
  /** Keep every acknowledged write (memory: one small record each). */
  record?: boolean;
  /** Pause between a writer's writes, to hold a rate (ms). */
  pauseMs?: number;
  /**
   * Diagnostics (the chaos soak): what node `iqn`'s image of each LUN holds at an extent, read
   * right after each acknowledgement. Tells a write acknowledged before (or without) reaching
   * the image from one lost later.
   */
  readBack?: (iqn: string, offset: number, length: number) => Buffer[];
}

/** Opens a host session on a node's LUN 0 (the primary process's target by default). */
/** `ready`: wait out unit attentions with TEST UNIT READY (a node whose ALUA port is unavailable refuses it). */
export async function connectHost(port: number, iqn: string = PRIMARY_IQN, ready = true): Promise<IscsiSession> {
  const session = await IscsiSession.connect({ host: '127.0.0.1', port, targetName: iqn, initiatorName: HOST_IQN, timeouts: { commandMs: 30_000 } });
  if (ready) await session.waitReady(0);
  return session;
}

const UNIT_ATTENTION = 0x6;
const NOT_READY = 0x2;
const DATA_PROTECT = 0x7;
const WRITE_PROTECTED = 0x27;
/** LOGICAL UNIT NOT ACCESSIBLE: 04h with ASCQ 0Ah transitioning, 0Bh standby, 0Ch unavailable. */
const NOT_ACCESSIBLE_ASCQS = [0x0a, 0x0b, 0x0c];

/** The node does not serve host writes now (not executed): its ALUA port is not active, or it is write protected. */
export function isRefusedHere(e: unknown): boolean {
  if (!(e instanceof ScsiCheckConditionError)) return false;
  const { key, asc, ascq } = e.sense;
  return (key === DATA_PROTECT && asc === WRITE_PROTECTED) || (key === NOT_READY && asc === 0x04 && NOT_ACCESSIBLE_ASCQS.includes(ascq));
}

function isUnitAttention(e: unknown): boolean {
  return e instanceof ScsiCheckConditionError && e.sense.key === UNIT_ATTENTION;
}

export class HostWriter {
  readonly stats: WriterStats = { acked: 0, bytes: 0, maxLatencyMs: 0, errors: [], refused: 0, redirects: [] };
  readonly acked: AckedWrite[] = [];
  /** By worker: the write it issued last, while not acknowledged. */
  private readonly pending = new Map<number, UnacknowledgedWrite>();
  private stopping = false;
  private issued = 0;
  private readonly done: Promise<void>;
  /** Index into nodes/sessions of where writes go now. */
  private current = 0;
  private readonly nodes: HostNode[];

  private constructor(
    private readonly sessions: IscsiSession[],
    private readonly options: HostWriterOptions,
  ) {
    this.nodes = [{ port: options.port, iqn: options.iqn ?? PRIMARY_IQN }, ...(options.failover ? [options.failover] : [])];
    this.done = Promise.all(Array.from({ length: options.depth }, (_, w) => this.worker(w))).then(() => undefined);
  }

  static async start(options: HostWriterOptions): Promise<HostWriter> {
    const sessions = [await connectHost(options.port, options.iqn)];
    if (options.failover) sessions.push(await connectHost(options.failover.port, options.failover.iqn));
    return new HostWriter(sessions, options);
  }

  /** The session writes started on (the first node). */
  get session(): IscsiSession {
    return this.sessions[0]!;
  }

  /** Writes issued so far (acknowledged or not): the n of next(n) runs from 0 to this − 1. */
  get issuedCount(): number {
    return this.issued;
  }

  /** Each worker's write issued and not acknowledged (after a kill: the ones in flight at it). */
  get unacknowledged(): UnacknowledgedWrite[] {
    return [...this.pending.values()];
  }

  /** The target name writes go to now. */
  get target(): string {
    return this.nodes[this.current]!.iqn;
  }

  /** Stops issuing, waits for the writes in flight, and logs out (unless the target is gone). */
  async stop(logout = true): Promise<WriterStats> {
    this.stopping = true;
    await this.done;
    for (const s of this.sessions) {
      if (logout) await s.logout().catch(() => s.destroy());
      else s.destroy();
    }
    return this.stats;
  }

  /** Stops issuing without waiting (the target is about to be killed). */
  halt(): void {
    this.stopping = true;
  }

  private async worker(w: number): Promise<void> {
    while (!this.stopping) {
      const spec = this.options.next(this.issued++, w);
      const data = randomBytes(spec.length);
      // Kept after a failure too: a write whose answer was lost may have been executed.
      this.pending.set(w, { ...spec, sha256: sha256(data), worker: w });
      const started = performance.now();
      const refusedSince = Date.now();
      let node: number;
      for (;;) {
        node = this.current;
        try {
          await this.sessions[node]!.write16(spec.lun ?? 0, spec.offset / BLOCK, data);
          break;
        } catch (e) {
          // Neither a unit attention nor a write-protected refusal executed the write: try again.
          if (isUnitAttention(e)) continue;
          if (this.nodes.length > 1 && isRefusedHere(e) && !this.stopping) {
            this.stats.refused++;
            if (this.current === node) {
              this.current = 1 - node;
              this.stats.redirects.push({ at: Date.now(), to: this.nodes[this.current]!.iqn });
            }
            if (Date.now() - refusedSince > (this.options.refusedForMs ?? 30_000)) {
              this.stats.errors.push(`write at ${spec.offset} refused by both nodes for ${Date.now() - refusedSince} ms`);
              return;
            }
            // Both may refuse for a moment (the peer not promoted yet): do not spin.
            if (node !== this.current) await new Promise((r) => setTimeout(r, 20));
            continue;
          }
          if (!this.stopping) this.stats.errors.push((e as Error).message);
          return;
        }
      }
      this.pending.delete(w);
      const latency = performance.now() - started;
      this.stats.acked++;
      this.stats.bytes += spec.length;
      if (latency > this.stats.maxLatencyMs) this.stats.maxLatencyMs = latency;
      if (this.options.record) {
        const iqn = this.nodes[node]!.iqn;
        const atAck = this.options.readBack && heldAtAck(this.options.readBack, iqn, spec, data);
        this.acked.push({ ...spec, sha256: sha256(data), ackedAt: Date.now(), node: iqn, worker: w, ...(atAck ? { atAck } : {}) });
      }
      if (this.options.pauseMs) await new Promise((r) => setTimeout(r, this.options.pauseMs));
    }
  }
}

/** How far around a write's extent heldAtAck looks for its data when the extent lacks it. */
const NEARBY_BYTES = 256 * 1024;

/** 'held' when the written LUN's image holds `data`; else where on any LUN near the extent it is, if anywhere. */
function heldAtAck(readBack: NonNullable<HostWriterOptions['readBack']>, iqn: string, spec: WriteSpec, data: Buffer): string {
  const lun = spec.lun ?? 0;
  if (readBack(iqn, spec.offset, spec.length)[lun]?.equals(data)) return 'held';
  const from = Math.max(0, spec.offset - NEARBY_BYTES);
  const near = readBack(iqn, from, spec.offset - from + spec.length + NEARBY_BYTES);
  for (let other = 0; other < near.length; other++) {
    const at = near[other]!.indexOf(data);
    if (at >= 0) return `absent, on LUN ${other} at ${from + at - spec.offset >= 0 ? '+' : ''}${from + at - spec.offset}`;
  }
  return 'absent';
}

/**
 * The newest acknowledged write of each extent. Exact when no two writers share an
 * extent (one writer's writes are sequential, and the list is in acknowledgement order).
 */
export function latestByOffset(acked: readonly AckedWrite[]): Map<number, AckedWrite> {
  const latest = new Map<number, AckedWrite>();
  for (const w of acked) latest.set(w.offset, w);
  return latest;
}

/**
 * The acknowledged writes to `lun` whose data is not what `image` (that LUN's file on a node)
 * holds; empty when every one is there. An extent rewritten by a write never acknowledged
 * (`unacknowledged`: in flight at a kill) may hold that write's data instead.
 */
export function missingWrites(image: Buffer, acked: readonly AckedWrite[], lun = 0, unacknowledged: readonly UnacknowledgedWrite[] = []): AckedWrite[] {
  const onLun = (w: WriteSpec) => (w.lun ?? 0) === lun;
  const rewrites = unacknowledged.filter(onLun);
  return [...latestByOffset(acked.filter(onLun)).values()].filter((w) => {
    const holds = sha256(image.subarray(w.offset, w.offset + w.length));
    return holds !== w.sha256 && !rewrites.some((u) => u.offset === w.offset && u.length === w.length && u.sha256 === holds);
  });
}

/**
 * Extents of `slot` bytes in a random order over `slots` slots, each slot once per round:
 * the n-th write takes the n-th slot of a shuffled list, so no two writes overlap until
 * the list wraps (latestByOffset stays exact).
 */
export function shuffledSlots(slots: number, slot: number): (n: number) => WriteSpec {
  const order = Array.from({ length: slots }, (_, i) => i);
  for (let i = slots - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return (n) => ({ offset: order[n % slots]! * slot, length: slot });
}

/** Extents of `slot` bytes, each writer on its own slots (slot ≡ worker mod depth), cycling through `slots`. */
export function workerSlots(slots: number, slot: number, depth: number): (n: number, worker: number) => WriteSpec {
  const counters = new Array<number>(depth).fill(0);
  const perWorker = Math.floor(slots / depth);
  return (_n, w) => ({ offset: (((counters[w]!++ % perWorker) * depth + w) * slot), length: slot });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Random extents of 4–64 KiB anywhere in `size` bytes, 4 KiB aligned. */
export function randomExtents(size: number, maxLength = 64 * 1024): (n: number) => WriteSpec {
  return () => {
    const length = 4096 * (1 + Math.floor(Math.random() * (maxLength / 4096)));
    const offset = 4096 * Math.floor(Math.random() * ((size - length) / 4096 + 1));
    return { offset, length };
  };
}
