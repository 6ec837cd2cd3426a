/**
 * PassPipeline over random transfers ending in a random order: never more than maxOps in
 * flight, never more than the window of bytes unless a transfer is alone, every add that
 * waits for room is woken once there is room (no transfer left waiting after the others
 * ended), drain resolves only once all have ended, and the first failure is what drain
 * rethrows. Transfers end only when the property says, so the order is the property's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PassPipeline } from '../../../src/replication/pass-pipeline.js';

interface Transfer {
  bytes: number;
  end: (ok: boolean) => void;
  ended: boolean;
}

/** Lets every pending reaction run (the pipeline's wake-ups and the adds they resume). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

const workload = fc.record({
  windowBytes: fc.integer({ min: 1, max: 64 }),
  maxOps: fc.integer({ min: 1, max: 6 }),
  sizes: fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 40 }),
  /** Which running transfer ends next (an index into those running, modulo their count), and whether it fails. */
  endings: fc.array(fc.record({ pick: fc.nat(), ok: fc.boolean() }), { minLength: 200, maxLength: 200 }),
  failures: fc.boolean(),
});

describe('PassPipeline', () => {
  it('bounds transfers by count and bytes, wakes every waiting add, drains all, rethrows the first failure', async () => {
    await fc.assert(
      fc.asyncProperty(workload, async ({ windowBytes, maxOps, sizes, endings, failures }) => {
        const pipeline = new PassPipeline({ windowBytes }, maxOps);
        const started: Transfer[] = [];
        let firstFailure: Error | undefined;
        const inFlight = () => started.filter((t) => !t.ended);
        const check = () => {
          const running = inFlight();
          expect(running.length).toBeLessThanOrEqual(maxOps);
          if (running.length > 1) expect(running.reduce((n, t) => n + t.bytes, 0)).toBeLessThanOrEqual(windowBytes);
        };

        // The planner adds one transfer after another, as delta-pass.ts does; a failure stops it.
        const planner = (async () => {
          for (const bytes of sizes) {
            await pipeline.add(bytes, () => {
              const transfer: Transfer = { bytes, ended: false, end: () => undefined };
              const done = new Promise<void>((resolve, reject) => {
                transfer.end = (ok) => {
                  transfer.ended = true;
                  if (ok) return resolve();
                  const e = new Error(`transfer ${started.indexOf(transfer)} failed`);
                  firstFailure ??= e;
                  reject(e);
                };
              });
              started.push(transfer);
              check();
              return done;
            });
          }
        })().then(
          () => undefined,
          (e: unknown) => e,
        );

        let step = 0;
        let plannerDone = false;
        void planner.then(() => (plannerDone = true));
        await settle();
        while (!plannerDone) {
          const running = inFlight();
          // Progress: a planner still adding is waiting for room, so something must be running.
          expect(running.length).toBeGreaterThan(0);
          const { pick, ok } = endings[step++ % endings.length]!;
          running[pick % running.length]!.end(ok || !failures);
          await settle();
          check();
        }
        const plannerError = await planner;
        if (plannerError !== undefined) expect(plannerError).toBe(firstFailure);
        else expect(started).toHaveLength(sizes.length);

        let drained = false;
        const drain = pipeline.drain().then(
          () => (drained = true),
          (e: unknown) => {
            drained = true;
            expect(e).toBe(firstFailure);
          },
        );
        for (const t of inFlight()) {
          await settle();
          expect(drained).toBe(false);
          t.end(true);
        }
        await drain;
        expect(drained).toBe(true);
        if (firstFailure === undefined) expect(pipeline.movedBytes).toBe(sizes.reduce((a, b) => a + b, 0));
      }),
      { numRuns: 200 },
    );
  });
});
