/**
 * Recovery points survive a power loss at any step: random workloads (writes and discards
 * in flight together, each after beforeOverwrite as the engine issues them; flushes; takes
 * and restores with writes held; prunes, retention and point reads racing with the writes)
 * run on storage that forgets (test/support: the image keeps only what was flushed or FUA,
 * the files only what was synced, directory changes only once their directory was synced;
 * with keep 'some' also a random part of the rest, torn at 512-byte sectors), and the power
 * fails at a random step; half the time the LUN is then grown (stale bytes in its new part).
 * After reopening:
 * - the catalogue opens cleanly;
 * - every listed point reads back byte for byte as the image was when it was taken (and
 *   zeroes past that image's end);
 * - a point whose take completed is listed unless a prune, retention or restore could have
 *   removed it; one whose removal completed is not;
 * - a restore the crash interrupted is finished: the image is that point's;
 * - and the store goes on working: more writes, a take and a prune later, every point
 *   still reads as taken.
 * During the workload, each completed read of a point equals the point, and each completed
 * restore leaves the image equal to the point and reports exactly the units that differed.
 * Deterministic (seeded scheduler): a counterexample replays; the ones found so far replay
 * every run (point-crash-regressions.ts). PL_RUNS=2000 soaks.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { PointCrashWorld, scenarioArb, type Scenario } from './point-crash-world.js';
import { REGRESSIONS } from './point-crash-regressions.js';

async function check(scenario: Scenario): Promise<void> {
  const w = new PointCrashWorld(scenario);
  await w.start();
  await w.runWorkload();
  const problems = [...w.failures];
  w.crash();
  if (scenario.growBlocks !== undefined) w.grow(scenario.growBlocks);
  problems.push(...(await w.recoverAndCheck()));
  if (problems.length === 0) problems.push(...(await w.continueAndCheck()));
  if (problems.length > 0) throw new Error(`${problems.slice(0, 8).join('\n')}\n--- trace (last events) ---\n${w.describe()}`);
}

const RUNS = Number(process.env.PL_RUNS ?? 200);
const TIMEOUT = Math.max(120_000, RUNS * 150);

describe('recovery points across a power loss', () => {
  it('every listed point reads as it was taken; takes, prunes and restores are all or nothing', () => fc.assert(fc.asyncProperty(scenarioArb(), check), { numRuns: RUNS, examples: REGRESSIONS.map((r) => [r]) }), TIMEOUT);
});
