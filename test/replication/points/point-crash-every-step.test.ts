/**
 * A power loss at every single I/O step of each protocol — take, copy-on-write under
 * concurrent writes, prune of the oldest, a middle and the newest point (also with writes
 * going on), giving up a point for space (the reserve released and filled again around
 * it), retention, restore to the oldest, a middle and the newest point — with the storage
 * keeping only what is durable, or that and a random part of the rest. After each,
 * the reopened store lists every point it must, each reads as taken, an interrupted restore
 * is finished, and the store goes on working (point-crash-world.ts checks).
 */
import { describe, expect, it } from 'vitest';
import { PointCrashWorld, type Scenario, type Step } from './point-crash-world.js';

const w = (block: number, blocks: number): Step => ({ kind: 'write', block, blocks });
const d = (block: number, blocks: number): Step => ({ kind: 'discard', block, blocks });
const take: Step = { kind: 'take', advanceMin: 30 };

/** Three points whose stores overlap in part, and a partly discarded image. */
const PREFIX: Step[] = [w(0, 64), take, w(0, 16), w(40, 8), d(62, 2), take, w(8, 16), w(44, 12), d(60, 4), take, w(4, 8), w(20, 4), d(0, 2)];

const OPERATIONS: Record<string, Step[]> = {
  take: [take],
  'copy-on-write of concurrent writes and discards': [w(2, 6), w(10, 20), d(30, 10), w(50, 14), w(3, 2)],
  'prune the oldest point': [{ kind: 'prune', pick: 0 }],
  'prune a middle point': [{ kind: 'prune', pick: 0.5 }],
  'prune the newest point': [{ kind: 'prune', pick: 0.99 }],
  'prune the newest point while writes go on': [{ kind: 'prune', pick: 0.99 }, w(0, 10), w(30, 20), d(50, 6)],
  'give up the oldest point for space while writes go on': [{ kind: 'give-up', pick: 0 }, w(0, 10), w(30, 20)],
  'give up the newest point for space': [{ kind: 'give-up', pick: 0.99 }],
  'retention keeping the newest': [{ kind: 'retain', last: 1 }],
  'restore the oldest point': [{ kind: 'restore', pick: 0 }],
  'restore a middle point': [{ kind: 'restore', pick: 0.5 }],
  'restore the newest point': [{ kind: 'restore', pick: 0.99 }],
};

function scenario(granularity: number, keep: 'none' | 'some', seed: number): Scenario {
  return { volumeBlocks: 64, granularity, steps: [], crashAfter: 0, crashExtra: 0, keep, seed };
}

async function world(granularity: number, keep: 'none' | 'some', seed: number): Promise<PointCrashWorld> {
  const world = new PointCrashWorld(scenario(granularity, keep, seed));
  await world.start();
  await world.prepare(PREFIX);
  return world;
}

describe('a power loss at every step', () => {
  for (const granularity of [1024, 4096]) {
    for (const [name, steps] of Object.entries(OPERATIONS)) {
      it(`${name} (${granularity}-byte units)`, async () => {
        const dry = await world(granularity, 'none', 1);
        expect(dry.store.list()).toHaveLength(3);
        const total = await dry.runSteps(steps, Number.MAX_SAFE_INTEGER);
        expect(dry.failures).toEqual([]);
        for (let k = 0; k <= total; k++) {
          for (const [keep, seed] of [['none', 1], ['some', 2], ['some', 3]] as const) {
            const run = await world(granularity, keep, seed);
            await run.runSteps(steps, k);
            const problems = [...run.failures];
            run.crash();
            problems.push(...(await run.recoverAndCheck()));
            if (problems.length === 0) problems.push(...(await run.continueAndCheck()));
            if (problems.length > 0) throw new Error(`crash after ${k} of ${total} steps (keep ${keep}, seed ${seed}):\n${problems.join('\n')}\n--- trace ---\n${run.describe()}`);
          }
        }
      });
    }
  }
});
