/**
 * WriteLane: whatever order jobs finish in, never more than `limit` run at once, every job
 * submitted runs exactly once, they start in the order they were submitted, and a lane
 * with room starts a job at once (no job waits while the lane is idle).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WriteLane } from '../../src/block/write-lane.js';

describe('WriteLane', () => {
  it('runs every job once, in order, at most `limit` at a time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        // Each step: submit a job, or finish the running job at this index (modulo those running).
        fc.array(fc.oneof(fc.constant('submit' as const), fc.nat()), { maxLength: 80 }),
        (limit, steps) => {
          const started: number[] = [];
          const running: Array<{ job: number; done: () => void }> = [];
          let maxRunning = 0;
          const lane = new WriteLane<number>(limit, (job, done) => {
            started.push(job);
            running.push({ job, done });
            maxRunning = Math.max(maxRunning, running.length);
          });
          let submitted = 0;
          for (const step of steps) {
            if (step === 'submit') {
              const before = started.length;
              const room = running.length < limit;
              lane.submit(submitted++);
              expect(started.length).toBe(room ? before + 1 : before);
            } else if (running.length > 0) {
              running.splice(step % running.length, 1)[0]!.done();
            }
          }
          // Drain: finishing what runs starts what was held.
          while (running.length > 0) running.shift()!.done();
          expect(maxRunning).toBeLessThanOrEqual(limit);
          expect(started).toEqual(Array.from({ length: submitted }, (_, i) => i));
        },
      ),
    );
  });
});
