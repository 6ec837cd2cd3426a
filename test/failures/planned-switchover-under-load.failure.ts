/**
 * Failure matrix 10: planned `tandem switchover` under host load, and back. A host writer
 * follows the primary role: it writes to the primary and, when a write is refused with
 * DATA PROTECT (the node just became a backup: the write was not executed, so never
 * acknowledged), retries it on the other node and stays there. Every write acknowledged
 * before, during and after the switchover is on the new primary's image; the hold time
 * the CLI reports is recorded (goal on loopback: under 2 s); the images end identical.
 * Then `tandem switchover` on the new primary switches back, and the same checks hold on
 * the original primary for every write of both phases.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { BACKUP_IQN, PRIMARY_IQN, report, runCli, sleep, type Cluster, type ServeChild } from './cluster.js';
import { pairPerTest } from './cluster-per-test.js';
import { HostWriter, missingWrites, workerSlots, type AckedWrite } from './host-writer.js';

const SIZE = 32 * 1024 * 1024;
const SLOT = 16 * 1024;
const DEPTH = 4;
/** A bound that only a broken drain could exceed (the goal is 2 s; the CLI's own timeout is 60 s). */
const HOLD_BOUND_MS = 15_000;

const startPair = pairPerTest();

interface Phase {
  /** Journal entries not yet on the peer just before the switchover (what the hold drains), and the state then. */
  journalAtSwitch: number;
  stateAtSwitch: string;
  heldMs: number;
  cliMs: number;
  /** Host-visible: the last acknowledgement by the old primary to the first by the new one. */
  gapMs: number;
  maxLatencyMs: number;
  refused: number;
  acked: number;
}

/** Writes to `from` (the primary), switches over to `to` under that load, and keeps writing there. */
async function switchUnderLoad(cluster: Cluster, from: ServeChild, to: ServeChild, acked: AckedWrite[]): Promise<Phase> {
  const fromIqn = cluster.iqnOf(from);
  const toIqn = cluster.iqnOf(to);
  const writer = await HostWriter.start({ port: from.port, iqn: fromIqn, failover: { port: to.port, iqn: toIqn }, depth: DEPTH, record: true, next: workerSlots(SIZE / SLOT, SLOT, DEPTH), pauseMs: 2 });
  try {
    while (writer.stats.acked < 200 && writer.stats.errors.length === 0) await sleep(20);
    const atSwitch = await cluster.status(from);
    const started = Date.now();
    const r = await cluster.switchover(from);
    const cliMs = Date.now() - started;
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { action: string; luns: Array<{ role: string; heldMs: number }> };
    expect(result.luns[0]).toMatchObject({ role: 'backup' });
    const heldMs = result.luns[0]!.heldMs;
    // Writes go on, on the new primary.
    const onNew = () => writer.acked.filter((w) => w.node === toIqn).length;
    const deadline = Date.now() + 30_000;
    while (onNew() < 200 && writer.stats.errors.length === 0 && Date.now() < deadline) await sleep(20);
    await writer.stop();
    expect(writer.stats.errors).toEqual([]);
    expect(onNew()).toBeGreaterThanOrEqual(200);
    expect(writer.target).toBe(toIqn);
    // Nothing was acknowledged by the old primary after the new one took over.
    const firstOnNew = writer.acked.findIndex((w) => w.node === toIqn);
    const lastOnOld = writer.acked.map((w) => w.node).lastIndexOf(fromIqn);
    expect(firstOnNew).toBeGreaterThan(0);
    expect(lastOnOld).toBeLessThan(firstOnNew + DEPTH);
    const gapMs = writer.acked[firstOnNew]!.ackedAt - writer.acked.filter((w) => w.node === fromIqn).pop()!.ackedAt;
    acked.push(...writer.acked);
    return { journalAtSwitch: atSwitch.journal.entries, stateAtSwitch: atSwitch.state, heldMs, cliMs, gapMs, maxLatencyMs: Math.round(writer.stats.maxLatencyMs), refused: writer.stats.refused, acked: writer.acked.length };
  } finally {
    await writer.stop().catch(() => undefined);
  }
}

/** `node` is the primary, mirroring continuously onto the other with nothing pending, and they hold one history. */
async function settled(cluster: Cluster, primary: ServeChild, backup: ServeChild): Promise<void> {
  const p = await cluster.waitOn(primary, 'continuous, nothing pending', (s) => s.role === 'primary' && s.state === 'continuous' && s.journal.entries === 0 && s.dirtyChunks === 0 && s.resync === undefined, 30_000);
  const b = await cluster.waitOn(backup, 'the backup on the primary\'s history', (s) => s.role === 'backup' && !s.resyncTarget && s.generations.current === p.generations.current, 15_000);
  expect(b.role).toBe('backup');
}

test('10: switchover under host load and back: every acknowledged write on the new primary, hold time reported, images identical', async () => {
  const cluster = await startPair(SIZE);
  const a = cluster.primary!;
  const b = cluster.backup;
  for (const node of [a, b]) await cluster.configSet('healthyForMs', '500ms', node);
  await cluster.waitContinuous();
  await cluster.waitOn(b, 'the backup seeing its primary', (s) => s.peer?.role === 'primary' && s.generations.current !== '', 15_000);
  const acked: AckedWrite[] = [];

  // A → B.
  const there = await switchUnderLoad(cluster, a, b, acked);
  expect(there.heldMs).toBeLessThan(HOLD_BOUND_MS);
  expect((await cluster.status(a)).role).toBe('backup');
  expect(missingWrites(readFileSync(cluster.path('backup.img')), acked)).toEqual([]);
  await settled(cluster, b, a);
  let images = cluster.hashes();
  expect(images.primary).toBe(images.backup);
  // Verified from the node that is primary now, although it was started as the backup; not from the other.
  const verified = await runCli(['verify', '--control', b.control]);
  expect(verified.code, verified.stderr).toBe(0);
  expect(verified.stdout).toMatch(/differ\s+0 chunks/);
  const fromBackup = await runCli(['verify', '--control', a.control]);
  expect(fromBackup.code).toBe(3);
  expect(fromBackup.stderr).toMatch(/^tandem: verify: this node is a backup for this LUN/);

  // B → A.
  const back = await switchUnderLoad(cluster, b, a, acked);
  expect(back.heldMs).toBeLessThan(HOLD_BOUND_MS);
  expect((await cluster.status(b)).role).toBe('backup');
  expect(missingWrites(readFileSync(cluster.path('primary.img')), acked)).toEqual([]);
  await settled(cluster, a, b);
  images = cluster.hashes();
  expect(images.primary).toBe(images.backup);

  report('planned switchover', { [`${PRIMARY_IQN} -> ${BACKUP_IQN}`]: there, [`${BACKUP_IQN} -> ${PRIMARY_IQN}`]: back, ackedTotal: acked.length });
});
