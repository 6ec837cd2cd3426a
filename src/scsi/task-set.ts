/**
 * A logical unit's task set (SAM-5 §8.6, one per LU: the Control mode page's TST is 000b):
 * when each task may start, by its task attribute, in the order the tasks were received.
 * An ORDERED task starts once every older task has completed; a HEAD OF QUEUE task starts
 * at once; a SIMPLE task starts once the newest older ORDERED or HEAD OF QUEUE task, and
 * every task older than that one, have completed (SAM asks only for the older ORDERED and
 * HEAD OF QUEUE tasks themselves: waiting for the SIMPLE ones before them too is allowed,
 * and keeps the bookkeeping to a list of runs). ACA is treated as SIMPLE (NACA is not
 * supported, so no ACA condition exists).
 *
 * Why it matters: an initiator can pipeline commands that depend on each other without
 * waiting for the answers, as the async shipper does across its batches: the backup
 * applies each batch only after the one before it, whatever the wire's latency.
 *
 * Tasks are kept in runs: consecutive SIMPLE tasks share one, an ORDERED or HEAD OF QUEUE
 * task is a run of its own. The first run is enabled (and a HEAD OF QUEUE run, wherever it
 * is); when the first has no live task, the next one is. With SIMPLE tasks only (every
 * host we know of), there is one run and entering costs a counter.
 */
import { TaskAttribute } from './types.js';

interface Run {
  ordered: boolean;
  /** Its waiting tasks were aborted: tasks received later start a run of their own. */
  aborted: boolean;
  live: number;
  /** Settles its tasks' `ready`: true when the run becomes first, false when it is aborted. */
  settle: ((start: boolean) => void) | undefined;
  ready: Promise<boolean> | undefined;
}

export interface TaskTicket {
  /**
   * Undefined when the task may start now; else resolves true when it may, or false when
   * a task it waits for failed (it must then end as TASK ABORTED without running).
   */
  readonly ready: Promise<boolean> | undefined;
  /** The task completed (`failed`: with any status but GOOD, or not at all) or left the task set. Idempotent. */
  done(failed?: boolean): void;
}

/** The ticket of a task that runs outside the task set: at once, holding no task back. */
export const OUTSIDE_THE_TASK_SET: TaskTicket = Object.freeze({ ready: undefined, done: () => undefined });

export class TaskSet {
  private readonly runs: Run[] = [];

  /** Tasks that entered and are not done (for tests and status). */
  get live(): number {
    let n = 0;
    for (const r of this.runs) n += r.live;
    return n;
  }

  /** A task enters, in the order its commands were received (CmdSN order). */
  enter(attribute: number): TaskTicket {
    const headOfQueue = attribute === TaskAttribute.HEAD_OF_QUEUE;
    let run: Run;
    if (headOfQueue || attribute === TaskAttribute.ORDERED) run = this.append(true);
    else {
      const last = this.runs[this.runs.length - 1];
      run = last && !last.ordered && !last.aborted ? last : this.append(false);
    }
    run.live++;
    let finished = false;
    return {
      ready: headOfQueue || run === this.runs[0] ? undefined : (run.ready ??= new Promise<boolean>((resolve) => (run.settle = resolve))),
      done: (failed = false) => {
        if (finished) return;
        finished = true;
        run.live--;
        if (failed) this.abortBehind(run);
        this.advance();
      },
    };
  }

  private append(ordered: boolean): Run {
    const run: Run = { ordered, aborted: false, live: 0, settle: undefined, ready: undefined };
    this.runs.push(run);
    return run;
  }

  /**
   * A task failed: the tasks waiting behind it are aborted, not started (as QErr=01b would
   * have it, for the tasks not yet started). Whoever ordered a write after this one relied
   * on it: the later one must not land without it.
   */
  private abortBehind(run: Run): void {
    for (let i = this.runs.indexOf(run) + 1; i < this.runs.length; i++) {
      const later = this.runs[i]!;
      later.aborted = true;
      later.settle?.(false);
      later.settle = undefined;
    }
  }

  /** Drops finished runs at the head; enables the new head. A lone empty run is dropped too. */
  private advance(): void {
    while (this.runs.length > 0 && this.runs[0]!.live === 0) {
      this.runs.shift();
      const next = this.runs[0];
      if (next) {
        next.settle?.(true);
        next.settle = undefined;
      }
    }
  }
}
