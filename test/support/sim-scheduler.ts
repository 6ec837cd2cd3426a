/**
 * A deterministic scheduler for simulated I/O: every operation of a simulated store, file
 * system or link is a pending step, and the test decides (with a seeded PRNG) which
 * pending step completes next. So concurrency is real (many operations in flight, any
 * completion order) yet every run is reproducible from its seed, and "crash at step k"
 * is exact. Steps belong to a node (a simulated machine); killing a node drops its
 * pending steps and never runs any it is given later (a dead machine does nothing).
 */

/** A PRNG in [0, 1) (mulberry32): the same seed gives the same sequence. */
export type Rng = () => number;

export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function randomBelow(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

export class SimNode {
  alive = true;
  constructor(readonly name: string) {}
}

interface Step {
  node: SimNode;
  label: string;
  run: () => void;
}

const NEVER = new Promise<never>(() => undefined);

/** A promise that never settles: what an operation of a dead node returns. */
export function never<T>(): Promise<T> {
  return NEVER;
}

export class SimScheduler {
  private pending: Step[] = [];
  /** Steps run so far. */
  steps = 0;

  /** Pending steps of live nodes. */
  get size(): number {
    return this.pending.length;
  }

  /**
   * Runs `effect` at a later step and settles with its result (or its exception). On a dead
   * node it never runs and the promise never settles.
   */
  defer<T>(node: SimNode, label: string, effect: () => T): Promise<T> {
    if (!node.alive) return never();
    return new Promise<T>((resolve, reject) => {
      this.pending.push({
        node,
        label,
        run: () => {
          try {
            resolve(effect());
          } catch (e) {
            reject(e as Error);
          }
        },
      });
    });
  }

  /** Runs one pending step, chosen with `rng`; false when none is pending. */
  step(rng: Rng): boolean {
    if (this.pending.length === 0) return false;
    const i = randomBelow(rng, this.pending.length);
    const [s] = this.pending.splice(i, 1);
    this.steps++;
    s!.run();
    return true;
  }

  /** Runs the first pending step whose `node:label` passes `filter`; false when none does. */
  stepFirst(filter: (description: string) => boolean): boolean {
    const i = this.pending.findIndex((s) => filter(`${s.node.name}:${s.label}`));
    if (i < 0) return false;
    const [s] = this.pending.splice(i, 1);
    this.steps++;
    s!.run();
    return true;
  }

  /** Power off `node`: its pending steps are dropped, later ones never run. */
  kill(node: SimNode): void {
    node.alive = false;
    this.pending = this.pending.filter((s) => s.node !== node);
  }

  /** Labels of the pending steps (diagnostics). */
  describe(): string[] {
    return this.pending.map((s) => `${s.node.name}:${s.label}`);
  }
}

/** Where a simulated component runs: steps on `node` of `scheduler`. Absent: effects happen at once. */
export interface SimPlace {
  scheduler: SimScheduler;
  node: SimNode;
}

/** Runs `effect` on `place` (or at once, in a promise, without one). */
export function onPlace<T>(place: SimPlace | undefined, label: string, effect: () => T): Promise<T> {
  if (!place) {
    try {
      return Promise.resolve(effect());
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }
  return place.scheduler.defer(place.node, label, effect);
}

/** Lets promise chains (and setImmediate wake-ups) run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/**
 * Runs scheduler steps until `p` settles; throws if it cannot (a hang is a bug too): more
 * than `budget` steps, or nothing pending while `p` is still unsettled.
 */
export async function runUntil<T>(scheduler: SimScheduler, rng: Rng, p: Promise<T>, what: string, budget: number): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  let idle = 0;
  for (let i = 0; !done; i++) {
    if (i > budget) throw new Error(`${what}: not done after ${budget} steps`);
    if (scheduler.size > 0) {
      scheduler.step(rng);
      idle = 0;
    } else if (++idle > 100) {
      throw new Error(`${what}: hangs (no I/O pending, not settled)`);
    }
    await settle();
  }
  return p;
}

/** What runToCrash drives: a world that issues steps and lets its scheduler complete I/O. */
export interface CrashWorkload<S> {
  readonly scheduler: SimScheduler;
  readonly rng: Rng;
  /** The steps, the fraction of them issued before the crash, and scheduler steps run after. */
  readonly scenario: { steps: readonly S[]; crashAfter: number; crashExtra: number };
  /** Operations issued and not yet done. */
  outstanding(): number;
  canIssue(step: S): boolean;
  issue(step: S): void;
  /** After each scheduler step (a world that watches the backup looks now). */
  stepped?(): void;
  /** Why the world is stuck, for the hang error. */
  describe?(): string;
}

/**
 * Issues the scenario's steps up to the crash point while completing I/O in a random order
 * (a step and an I/O completion are equally likely when both can happen), then runs
 * `crashExtra` more I/O steps. A world with operations outstanding and no I/O pending hangs:
 * that throws.
 */
export async function runToCrash<S>(w: CrashWorkload<S>): Promise<void> {
  const { steps, crashExtra } = w.scenario;
  const crashAfter = Math.round(w.scenario.crashAfter * steps.length);
  let next = 0;
  let extra = 0;
  let idle = 0;
  while (next < crashAfter || extra < crashExtra) {
    const step = next < crashAfter ? steps[next] : undefined;
    const pending = w.scheduler.size > 0;
    if (step !== undefined && w.canIssue(step) && (!pending || w.rng() < 0.5)) {
      w.issue(step);
      next++;
      idle = 0;
    } else if (pending) {
      w.scheduler.step(w.rng);
      if (next >= crashAfter) extra++;
      idle = 0;
      w.stepped?.();
    } else if (step === undefined && w.outstanding() === 0) {
      if (++idle > 20) return;
    } else if (++idle > 100) {
      const why = w.describe?.();
      throw new Error(`workload hangs: ${w.outstanding()} operations outstanding, no I/O pending${why ? `\n${why}` : ''}`);
    }
    await settle();
  }
}
