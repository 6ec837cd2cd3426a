/**
 * The crash guarantees of docs/replication.md, proved against stores that forget: random
 * workloads (overlapping writes in flight together, some FUA, flushes, discards, ticks,
 * link cuts and stalls — timeouts whose operations the backup still carries out — admin
 * passes and switches) run on a simulated pair, and the power fails at a random step, on
 * the primary's image and metadata and (sometimes) on the backup. The disks keep only what
 * was made durable, or that plus a random part of the rest.
 *
 * - the backup is a crash-consistent prefix of the host's history at every step of the
 *   workload (its volatile image: in acknowledged order); after a power loss of its own,
 *   a state the primary's own disk could be in after one (every change the host could
 *   count on is there; of the rest any subset, as with any write-back cache);
 * - sync: every write acknowledged through synchronous mirroring is on the backup, and
 *   durable there when the host's contract (FUA, a completed flush) makes it durable;
 * - after the primary restarts, every write acknowledged with FUA, or acknowledged before
 *   a flush that completed, is on it;
 * - after the restart the delta table marks every chunk where primary and backup differ;
 * - with a healthy link the pair then converges to identical images.
 * Everything is deterministic (seeded scheduler, fake clock), so a counterexample replays.
 * PL_RUNS=5000 runs a longer soak of each mode.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { PowerLossWorld, scenarioArb, type PairMode, type Scenario } from './power-loss-world.js';

async function check(scenario: Scenario): Promise<void> {
  const w = new PowerLossWorld(scenario);
  await w.start();
  await w.runWorkload();
  const problems: string[] = [...w.failures];
  const guaranteed = w.guaranteed();
  const viaSync = w.changes.filter((c) => c.viaSync);
  const durableViaSync = w.durableViaSync();
  await w.crash();

  const backupImage = w.backup.image.image();
  const backupCrashed = scenario.backupCrash !== undefined;
  problems.push(...w.prefixViolations(backupImage, 'backup after the crash', backupCrashed ? 'durable' : 'acknowledged'));
  const syncKept = backupCrashed ? durableViaSync : viaSync;
  problems.push(...w.reflects(backupImage, syncKept, 'backup after the crash (acknowledged by sync mirroring)'));

  await w.recover();
  problems.push(...w.reflects(w.primary.image(), guaranteed, 'primary after recovery'));
  problems.push(...w.unmarkedDifferences());

  if (problems.length === 0) {
    await w.converge('after recovery');
    if (!w.primary.image().equals(w.backup.image.image())) problems.push('primary and backup differ after converging');
  }
  if (problems.length > 0) throw new Error(`${problems.slice(0, 8).join('\n')}\n--- trace (last events) ---\n${w.describe()}`);
}

/**
 * The same workloads with the power staying on: once the link is healthy and the engine
 * says the pair is in step, the images are equal — whatever a stalled link's late
 * operations did meanwhile (a crash would hide them: the restart resynchronises the
 * activity log's extents anyway).
 */
async function checkWithoutPowerLoss(scenario: Scenario): Promise<void> {
  const w = new PowerLossWorld(scenario);
  await w.start();
  await w.runWorkload();
  const problems: string[] = [...w.failures];
  if (problems.length === 0) {
    await w.converge('without a power loss');
    if (!w.primary.image().equals(w.backup.image.image())) problems.push('primary and backup differ once in step (no power loss)');
  }
  if (problems.length > 0) throw new Error(`${problems.slice(0, 8).join('\n')}\n--- trace (last events) ---\n${w.describe()}`);
}

/**
 * Counterexamples of the bugs this property found, each fixed since (see the commits
 * "Fix: ..."); they replay exactly, so a regression of one shows up on every run.
 */
const FOUND: Record<PairMode, Scenario[]> = {
  sync: [
    // The activity log's clear of chunk 0 reached the file before the image held #1.
    { mode: 'sync', steps: [{ kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'drain' }, { kind: 'write', block: 8, blocks: 1, fua: false }, { kind: 'tick', advanceMs: 0 }], crashAfter: 0.625, crashExtra: 0, seed: 4, keepPrimary: 'some', backupCrash: undefined, journalCapacity: 8192 },
    // A mirrored write ending cleared the mark of a delta-path write to the same chunk.
    { mode: 'sync', steps: [{ kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'flavour' }, { kind: 'write', block: 1, blocks: 1, fua: false }, { kind: 'tick', advanceMs: 61_000 }, { kind: 'drain' }], crashAfter: 0.9, crashExtra: 0, seed: 0, keepPrimary: 'none', backupCrash: undefined, journalCapacity: 8192 },
  ],
  async: [
    // The switch to delta trimmed the journal without flushing the image: FUA write #1 lost.
    { mode: 'async', steps: [{ kind: 'write', block: 12, blocks: 4, fua: true }, { kind: 'write', block: 0, blocks: 5, fua: false }, { kind: 'write', block: 5, blocks: 4, fua: false }, { kind: 'write', block: 9, blocks: 3, fua: false }, { kind: 'drain' }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'heal' }, { kind: 'replicate' }], crashAfter: 0.563, crashExtra: 0, seed: 0, keepPrimary: 'none', backupCrash: undefined, journalCapacity: 8192 },
    // The restart replayed journal entry #1 over the newer FUA write #2 (delta path).
    { mode: 'async', steps: [{ kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'flavour' }, { kind: 'write', block: 0, blocks: 1, fua: true }, { kind: 'heal' }, { kind: 'write', block: 0, blocks: 1, fua: false }], crashAfter: 0.5, crashExtra: 5, seed: 0, keepPrimary: 'none', backupCrash: undefined, journalCapacity: 8192 },
    // A batch in the pipeline awaited a flush before it was issued, so the batch after it went first: the backup applied #5 without #4.
    { mode: 'async', steps: [{ kind: 'write', block: 0, blocks: 1, fua: true }, { kind: 'write', block: 1, blocks: 1, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'drain' }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'write', block: 1, blocks: 1, fua: false }, { kind: 'flush' }, { kind: 'discard', block: 0, blocks: 1 }, { kind: 'heal' }, { kind: 'discard', block: 0, blocks: 1 }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }], crashAfter: 0.885, crashExtra: 0, seed: 157671834, keepPrimary: 'none', backupCrash: undefined, journalCapacity: 8192 },
    // The new journal's size was not durable: the reopen read a capacity of 48 bytes.
    { mode: 'async', steps: [{ kind: 'discard', block: 0, blocks: 1 }, { kind: 'flush' }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'heal' }, { kind: 'replicate' }, { kind: 'drain' }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'discard', block: 0, blocks: 1 }], crashAfter: 0.15, crashExtra: 0, seed: 449742507, keepPrimary: 'some', backupCrash: undefined, journalCapacity: 8192 },
    // A backup that loses power too keeps the host's barriers (600 random runs passed with no backup flush at a barrier at all).
    // After a host flush: without the flush between them the backup kept #2 and lost #1.
    { mode: 'async', steps: [{ kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'flush' }, { kind: 'write', block: 1, blocks: 1, fua: false }], crashAfter: 1, crashExtra: 4, seed: 26, keepPrimary: 'none', backupCrash: 'some', journalCapacity: 8192 },
    // After a FUA write's acknowledgement: likewise.
    { mode: 'async', steps: [{ kind: 'write', block: 0, blocks: 1, fua: true }, { kind: 'write', block: 1, blocks: 1, fua: false }], crashAfter: 1, crashExtra: 4, seed: 6, keepPrimary: 'none', backupCrash: 'some', journalCapacity: 8192 },
    // A batch may span barriers (SendQueue.nextBatch): the flush ahead of it decided by its first change's epoch, not its newest, let the backup keep later writes and lose FUA write #1 (found by 1,500 runs against that variant).
    { mode: 'async', steps: [{ kind: 'write', block: 0, blocks: 1, fua: true }, { kind: 'write', block: 0, blocks: 1, fua: true }, { kind: 'write', block: 1, blocks: 1, fua: true }, { kind: 'flush' }, { kind: 'write', block: 2, blocks: 1, fua: false }, { kind: 'tick', advanceMs: 0 }, { kind: 'flush' }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'tick', advanceMs: 0 }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'drain' }, { kind: 'flush' }, { kind: 'drain' }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'flush' }, { kind: 'tick', advanceMs: 0 }, { kind: 'drain' }, { kind: 'discard', block: 0, blocks: 1 }, { kind: 'flush' }, { kind: 'flush' }, { kind: 'drain' }, { kind: 'heal' }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'stall', hangSteps: 0 }, { kind: 'cut' }, { kind: 'drain' }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'flavour' }, { kind: 'tick', advanceMs: 0 }, { kind: 'stall', hangSteps: 0 }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'flush' }, { kind: 'drain' }, { kind: 'flush' }], crashAfter: 0.125, crashExtra: 6, seed: 824460982, keepPrimary: 'some', backupCrash: 'some', journalCapacity: 8192 },
  ],
  delta: [
    // A pass's clear reached the file before the image held the copied write.
    { mode: 'delta', steps: [{ kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'replicate' }, { kind: 'replicate' }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }], crashAfter: 0.3, crashExtra: 19, seed: 432297594, keepPrimary: 'none', backupCrash: undefined, journalCapacity: 8192 },
    // The backup's staging log was not durable by name: a committed pass came back half applied.
    { mode: 'delta', steps: [{ kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'discard', block: 0, blocks: 1 }, { kind: 'write', block: 1, blocks: 1, fua: false }, { kind: 'replicate' }, { kind: 'write', block: 7, blocks: 2, fua: false }, { kind: 'write', block: 117, blocks: 4, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'heal' }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'write', block: 0, blocks: 1, fua: false }, { kind: 'replicate' }, { kind: 'flush' }, { kind: 'heal' }, { kind: 'cut' }], crashAfter: 0.367, crashExtra: 36, seed: 1127076722, keepPrimary: 'none', backupCrash: 'some', journalCapacity: 8192 },
  ],
};

const RUNS = Number(process.env.PL_RUNS ?? 80);
/** Generous: a run takes 10-40 ms; soaks (PL_RUNS) scale it. */
const TIMEOUT = Math.max(120_000, RUNS * 100);

function property(mode: PairMode, judge = check): Promise<void> {
  return fc.assert(fc.asyncProperty(scenarioArb(mode), judge), { numRuns: RUNS, examples: FOUND[mode].map((s) => [s]) });
}

describe('power loss of a replicated pair', () => {
  it('sync mirroring: acknowledged writes survive on both sides; the pair converges', () => property('sync'), TIMEOUT);
  it('async mirroring: the backup is a prefix; flushed writes survive; the pair converges', () => property('async'), TIMEOUT);
  it('delta mode: flushed writes survive; the table marks every difference; the pair converges', () => property('delta'), TIMEOUT);
});

describe('a replicated pair without a power loss', () => {
  for (const mode of ['sync', 'async', 'delta'] as const) {
    it(`${mode}: once in step, primary and backup are equal (late operations of a stalled link included)`, () => property(mode, checkWithoutPowerLoss), TIMEOUT);
  }
});
