/**
 * A power loss at every single I/O step of growing the points to a LUN grown while it was
 * down (PointStore.open on the larger image), the storage keeping only what is durable, or
 * that and a random part of the rest. After each, the store opens again (grown or not yet:
 * it grows then), every point reads as taken with zeroes past its old end, also once the
 * live tail is written, and the store goes on working (point-crash-world.ts checks).
 */
import { describe, expect, it } from 'vitest';
import { BLOCK, PointCrashWorld, type Step } from './point-crash-world.js';
import { patterned, prng } from './point-harness.js';

const w = (block: number, blocks: number): Step => ({ kind: 'write', block, blocks });
const d = (block: number, blocks: number): Step => ({ kind: 'discard', block, blocks });
const take: Step = { kind: 'take', advanceMin: 30 };

interface Growth {
  volumeBlocks: number;
  granularity: number;
  growBlocks: number;
  /** Three points whose stores overlap in part. */
  prefix: Step[];
}

const GROWTHS: Record<string, Growth> = {
  'from a whole number of units': {
    volumeBlocks: 64,
    granularity: 1024,
    growBlocks: 96,
    prefix: [w(0, 64), take, w(0, 16), w(40, 8), d(62, 2), take, w(8, 16), w(44, 12), take, w(4, 8), w(60, 4), d(0, 2)],
  },
  // 60 blocks of 512 bytes: 7.5 units. Point 2's store holds the last one, point 3's does not.
  'from inside a unit, the newest store lacking it': {
    volumeBlocks: 60,
    granularity: 4096,
    growBlocks: 100,
    prefix: [w(0, 60), take, w(0, 16), w(40, 8), take, w(8, 16), d(56, 2), take, w(4, 8), w(20, 4), d(0, 2)],
  },
};

async function world(g: Growth, keep: 'none' | 'some', seed: number): Promise<PointCrashWorld> {
  const world = new PointCrashWorld({ volumeBlocks: g.volumeBlocks, granularity: g.granularity, steps: [], crashAfter: 0, crashExtra: 0, keep, seed });
  await world.start();
  await world.prepare(g.prefix);
  // The LUN goes down and comes back grown.
  world.crash();
  world.grow(g.growBlocks);
  return world;
}

/** The live tail written: every listed point still reads as taken (zeroes there, for one from before the growth). */
async function tailWritten(run: PointCrashWorld, from: number): Promise<string[]> {
  const length = run.size - from;
  await run.until(
    (async () => {
      await run.store.beforeOverwrite(from, length);
      await run.image.write(patterned(prng(from), length), from);
    })(),
    'tail write',
  );
  const problems: string[] = [];
  for (const { id } of run.store.list()) {
    const got = Buffer.alloc(run.size);
    await run.until(run.store.read(id, got, 0), `read point ${id}`);
    if (!got.equals(run.models.get(id)!.image)) problems.push(`point ${id} differs from its image once the tail is written`);
  }
  return problems;
}

describe('a power loss at every step of growing the points', () => {
  for (const [name, g] of Object.entries(GROWTHS)) {
    it(name, async () => {
      const dry = await world(g, 'none', 1);
      const total = await dry.openPartly(Number.MAX_SAFE_INTEGER);
      expect(dry.failures).toEqual([]);
      expect(dry.store.list()).toHaveLength(3);
      for (let k = 0; k <= total; k++) {
        for (const [keep, seed] of [['none', 1], ['some', 2], ['some', 3]] as const) {
          const run = await world(g, keep, seed);
          await run.openPartly(k);
          const problems = [...run.failures];
          run.crash();
          problems.push(...(await run.recoverAndCheck()));
          if (problems.length === 0) problems.push(...(await tailWritten(run, g.volumeBlocks * BLOCK)));
          if (problems.length === 0) problems.push(...(await run.continueAndCheck()));
          if (problems.length > 0) throw new Error(`crash after ${k} of ${total} steps (keep ${keep}, seed ${seed}):\n${problems.join('\n')}\n--- trace ---\n${run.describe()}`);
        }
      }
    });
  }
});
