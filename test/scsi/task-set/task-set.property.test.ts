/**
 * The task set's rules (SAM-5 §8.6) over random arrivals and completions: a task that may
 * start has started, and none started early — an ORDERED task only once everything before
 * it completed, any task behind a pending ORDERED one only once that one completed; HEAD
 * OF QUEUE at once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TaskSet } from '../../../src/scsi/task-set.js';
import { TaskAttribute } from '../../../src/scsi/types.js';

interface Task {
  id: number;
  attribute: number;
  started: boolean;
  done: boolean;
  finish: () => void;
}

const step = fc.oneof(
  fc.record({ kind: fc.constant('enter' as const), attribute: fc.constantFrom(TaskAttribute.SIMPLE, TaskAttribute.ORDERED, TaskAttribute.HEAD_OF_QUEUE, TaskAttribute.ACA) }),
  fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
);

const settle = () => new Promise<void>((r) => setImmediate(r));

/** Whether SAM-5 lets `t` start, given the tasks received before it. */
function samAllows(t: Task, older: Task[]): boolean {
  if (t.attribute === TaskAttribute.HEAD_OF_QUEUE) return true;
  if (t.attribute === TaskAttribute.ORDERED) return older.every((b) => b.done);
  return older.every((b) => b.done || (b.attribute !== TaskAttribute.ORDERED && b.attribute !== TaskAttribute.HEAD_OF_QUEUE));
}

/** When the task set starts `t` (documented in task-set.ts): a SIMPLE task also waits for the tasks older than the newest older ORDERED / HEAD OF QUEUE one. */
function promisedStart(t: Task, older: Task[]): boolean {
  if (t.attribute !== TaskAttribute.SIMPLE && t.attribute !== TaskAttribute.ACA) return samAllows(t, older);
  let wall = -1;
  older.forEach((b, i) => {
    if (b.attribute === TaskAttribute.ORDERED || b.attribute === TaskAttribute.HEAD_OF_QUEUE) wall = i;
  });
  return older.slice(0, wall + 1).every((b) => b.done);
}

describe('task set', () => {
  it('starts each task exactly when its attribute allows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const set = new TaskSet();
        const tasks: Task[] = [];
        for (const s of steps) {
          if (s.kind === 'enter') {
            const ticket = set.enter(s.attribute);
            const t: Task = { id: tasks.length, attribute: s.attribute, started: false, done: false, finish: ticket.done };
            tasks.push(t);
            if (!ticket.ready) t.started = true;
            else void ticket.ready.then((start) => (t.started = start));
          } else {
            // Only a started task completes (a waiting one could be aborted: see the next property).
            const running = tasks.filter((t) => t.started && !t.done);
            const t = running[s.pick % Math.max(1, running.length)];
            if (t) {
              t.done = true;
              t.finish();
            }
          }
          await settle();
          for (const t of tasks) {
            if (t.done) continue;
            const older = tasks.slice(0, t.id);
            // Tasks only complete, so a task SAM lets start stays allowed: checking now checks its start.
            if (t.started && !samAllows(t, older)) expect.fail(`task ${t.id} (attribute ${t.attribute}) started before an older task it must follow completed`);
            if (!t.started && promisedStart(t, older)) expect.fail(`task ${t.id} (attribute ${t.attribute}) may start but waits`);
          }
        }
        // Completing everything empties the set.
        for (;;) {
          const t = tasks.find((x) => x.started && !x.done);
          if (!t) break;
          t.done = true;
          t.finish();
          await settle();
        }
        expect(tasks.every((t) => t.done)).toBe(true);
        expect(set.live).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
