/**
 * The replicated LUNs of one target as one consistency group: a recovery point is taken of
 * all of them at one instant of the primary's acknowledged write order (host writes to
 * every LUN whose plan needs it held together for that instant), so a database spread over two LUNs is
 * consistent on the backup. Points are made on demand (`tandem point create`) and every
 * `pointIntervalMs`; the ids are the group's, above every id any of its LUNs handed out or
 * holds.
 */
import type { PointMarker, PointOrigin } from '../../replica-protocol/index.js';
import type { Logger } from '../../util/log.js';
import { PointDroppedError } from '../queue-errors.js';
import { PointRefusedError } from './backup-points.js';
import type { PointHook } from './point-hook.js';
import type { PointPlan, PointSteps } from './point-planner.js';

/** What the group needs of each replicated LUN (a ReplicatedDevice). */
export interface GroupVolume {
  readonly role: 'primary' | 'backup';
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  holding<T>(fn: () => Promise<T>): Promise<T>;
  planPoint(): Promise<PointPlan>;
  readonly lastPointId: number;
  notePointId(id: number): Promise<void>;
}

export interface GroupMember {
  lun: number;
  volume: GroupVolume;
}

/** A point not taken on every LUN: which ones failed, and why. */
export class PointNotTakenError extends Error {
  constructor(
    readonly id: number,
    readonly failures: ReadonlyArray<{ lun: number; error: string; dropped: boolean }>,
  ) {
    super(`recovery point ${id} was not taken: ${failures.map((f) => `LUN ${f.lun}: ${f.error}`).join('; ')}`);
    this.name = 'PointNotTakenError';
  }

  /** Every failed LUN dropped the point because its mirroring switched mode under it: taking it again in the new mode can succeed. */
  get onlyDropped(): boolean {
    return this.failures.every((f) => f.dropped);
  }
}

/**
 * How often a point is taken before its failure is the answer: a point dropped by a
 * switch of mirroring mode is taken again in the new mode (a switch back to continuous
 * waits for a pass, so a third drop means the pair is flapping).
 */
const POINT_ATTEMPTS = 3;

export interface PointResult {
  id: number;
  at: number;
  luns: number[];
  /** How long host writes were held to fix the point's instant (ms). */
  heldMs: number;
}

export interface GroupOptions {
  /** The target's name (in logs and the hook's environment). */
  target: string;
  clock: () => number;
  log: Logger;
  /** Run before a point's instant is fixed and after (--point-hook). */
  hook?: PointHook;
}

export class ConsistencyGroup {
  private running: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /**
   * Origins with a point waiting to start, and how many later requests of the same origin
   * joined it: committed passes share one pass point, and the interval's ticks are skipped
   * while a scheduled point waits, so points that take longer than the interval (a
   * backlogged async queue, a pass per point in delta mode) never pile up without bound.
   * The point's `point-created` line gives the count (`joined`).
   */
  private readonly pending = new Map<'scheduled' | 'pass', number>();
  private readonly clock: () => number;
  private readonly log: Logger;

  constructor(
    private readonly members: readonly GroupMember[],
    private readonly options: GroupOptions,
  ) {
    this.clock = options.clock;
    this.log = options.log;
  }

  /** A point of every LUN of the group; resolves once the backup holds it on all of them. One at a time. */
  createPoint(origin: PointOrigin, label?: string): Promise<PointResult> {
    const run = this.running.catch(() => undefined).then(() => this.take(origin, label));
    this.running = run;
    return run;
  }

  /** Scheduled points every `ms` (0: none), one waiting at most; a failed one is logged and the next comes at its time. */
  schedule(ms: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (ms <= 0) return;
    this.timer = setInterval(() => {
      if (this.members.some((m) => m.volume.role !== 'primary')) return;
      this.queueCoalesced('scheduled', 'scheduled recovery point not taken');
    }, ms);
    this.timer.unref();
  }

  /**
   * A member's delta pass was committed: a point of origin `pass` of the whole group (the
   * other members' state is fixed at the same instant). Passes that commit while one waits
   * to start share it.
   */
  passCommitted(): void {
    this.queueCoalesced('pass', 'recovery point after a pass not taken');
  }

  /** A point of `origin` queued after the running one, unless one of that origin already waits to start (the request joins it). */
  private queueCoalesced(origin: 'scheduled' | 'pass', failure: string): void {
    const joined = this.pending.get(origin);
    if (joined !== undefined) {
      this.pending.set(origin, joined + 1);
      return;
    }
    this.pending.set(origin, 0);
    const run = this.running.catch(() => undefined).then(() => {
      const joinedBy = this.pending.get(origin) ?? 0;
      this.pending.delete(origin);
      return this.take(origin, undefined, joinedBy);
    });
    this.running = run;
    run.catch((e: unknown) => this.log.warn({ event: 'point-failed', origin, error: (e as Error).message }, failure));
  }

  close(): void {
    this.schedule(0);
  }

  /**
   * A point, taken again (with the next id) when a switch of mirroring mode dropped it: an
   * internal switch never fails an admin's point. `joined`: the requests that joined it
   * while it waited to start (for its log line).
   */
  private async take(origin: PointOrigin, label: string | undefined, joined = 0): Promise<PointResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.takeOnce(origin, label, joined);
      } catch (e) {
        if (!(e instanceof PointNotTakenError)) throw e;
        if (!e.onlyDropped || attempt >= POINT_ATTEMPTS) {
          this.log.warn({ event: 'point-failed', id: e.id, origin, failures: e.failures }, `recovery point ${e.id} not taken`);
          throw e;
        }
        this.log.info({ event: 'point-retaken', id: e.id, origin, attempt }, `recovery point ${e.id} was dropped by a switch of mirroring mode: taken again in the new mode`);
      }
    }
  }

  private async takeOnce(origin: PointOrigin, label: string | undefined, joined: number): Promise<PointResult> {
    const notPrimary = this.members.find((m) => m.volume.role !== 'primary');
    if (notPrimary) throw new PointRefusedError(`LUN ${notPrimary.lun} is not a primary here: points are made on the primary`);
    const id = Math.max(0, ...this.members.map((m) => m.volume.lastPointId)) + 1;
    // Handed out before anything is sent: a crash never reuses it.
    for (const m of this.members) await m.volume.notePointId(id);
    let heldMs = 0;
    let at = 0;
    const outcomes = await nested(
      this.members.map((m): Lock => (fn) => m.volume.exclusive(fn)),
      async () => {
        const plans = await planAll(this.members);
        const hook = this.options.hook;
        const context = { id, origin, target: this.options.target, ...(label !== undefined ? { label } : {}) };
        let steps: PointSteps[];
        try {
          // A failed "before" (nothing frozen, or not all of it) takes no point; "after" runs either way.
          if (hook) await hook('before', context).catch(async (e: unknown) => {
            await this.runAfterHook(hook, context);
            throw e;
          });
          const started = performance.now();
          try {
            steps = await nested(
              this.members.map((m, i): Lock => (plans[i]!.holdsWrites ? (fn) => m.volume.holding(fn) : unheld)),
              async () => {
                at = this.clock();
                const marker: PointMarker = { id, at, origin, ...(label !== undefined ? { label } : {}) };
                const steps = plans.map((plan) => plan.fix(marker));
                await Promise.allSettled(steps.map((s) => s.whileHeld));
                return steps;
              },
            );
          } finally {
            heldMs = performance.now() - started;
            // The instant is fixed: the application goes on while the backup takes the point.
            if (hook) await this.runAfterHook(hook, context);
          }
        } finally {
          // Plans whose instant was never fixed still hold what they prepared.
          await releaseAll(plans);
        }
        return Promise.allSettled(steps.map(async (s) => {
          await s.whileHeld;
          await s.after();
        }));
      },
    );
    const failures = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ lun: this.members[i]!.lun, error: (o.reason as Error).message, dropped: o.reason instanceof PointDroppedError }] : []));
    if (failures.length > 0) throw new PointNotTakenError(id, failures);
    const luns = this.members.map((m) => m.lun);
    this.log.info({ event: 'point-created', id, at, origin, label, luns, heldMs: Math.round(heldMs * 1000) / 1000, ...(joined > 0 ? { joined } : {}) }, `recovery point ${id} taken on the backup`);
    return { id, at, luns, heldMs };
  }

  private async runAfterHook(hook: PointHook, context: Parameters<PointHook>[1]): Promise<void> {
    await hook('after', context).catch((e: unknown) => this.log.warn({ event: 'point-hook-failed', id: context.id, phase: 'after', error: (e as Error).message }, (e as Error).message));
  }
}

/** Every member's plan, or none: when one cannot plan, those that did are released. */
async function planAll(members: readonly GroupMember[]): Promise<PointPlan[]> {
  const settled = await Promise.allSettled(members.map((m) => m.volume.planPoint()));
  const plans = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  if (!failed) return plans;
  await releaseAll(plans);
  throw failed.reason;
}

/** Best effort: a scratch file left behind is discarded by the next pass that opens one. */
async function releaseAll(plans: readonly PointPlan[]): Promise<void> {
  await Promise.all(plans.map((plan) => plan.release().catch(() => undefined)));
}

/** Runs `fn` with something held (a volume's passes excluded, its host writes held). */
type Lock = <U>(fn: () => Promise<U>) => Promise<U>;

/** A volume whose plan needs no hold (PointPlan.holdsWrites). */
const unheld: Lock = (fn) => fn();

/** locks[0](() => locks[1](() => … fn())): every lock taken, in order, around fn. */
function nested<T>(locks: readonly Lock[], fn: () => Promise<T>): Promise<T> {
  return locks.reduceRight<() => Promise<T>>((inner, lock) => () => lock(inner), fn)();
}
