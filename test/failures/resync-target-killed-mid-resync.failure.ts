/**
 * Failure matrix 12: the resync target is SIGKILLed in the middle of its resynchronisation
 * and restarted: the resync starts again and completes, images identical. While it is
 * unfinished — before the kill, and again after the restart (the state is persisted) —
 * `tandem promote` without --force on the target is refused with one line saying why
 * (exit 1): its image is older than its peer's.
 *
 * The resync: the primary is cut off from its backup, takes 8 MiB of writes (a new
 * generation), and the link comes back throttled to 1 MiB/s, so the staged resync pass
 * is still running when the backup is killed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { expect, test } from 'vitest';
import { CHUNK, logEvents, report, sleep, switchedToDelta, type CliResult } from './cluster.js';
import { pairPerTest } from './cluster-per-test.js';
import { BLOCK, connectHost } from './host-writer.js';

const SIZE = 32 * 1024 * 1024;
/** Every other chunk over the first 16 MiB: 8 MiB for the resync to move. */
const CHANGED = Array.from({ length: 128 }, (_, i) => 2 * i);
const THROTTLE = 1024 * 1024;

const startPair = pairPerTest();

function expectResyncRefusal(r: CliResult): string {
  expect(r.code, `${r.stderr}${r.stdout}`).toBe(1);
  const line = r.stderr.trim();
  expect(line.split('\n')).toHaveLength(1);
  expect(line).toMatch(/^tandem: promote: .*resynchronisation from its peer is unfinished.*--force/);
  expect(r.stdout).toBe('');
  return line;
}

test('12: the resync target killed mid-resync restarts and the resync completes; promote during it is refused without --force', async () => {
  const cluster = await startPair(SIZE);
  const a = cluster.primary!;
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.waitContinuous();
  await cluster.waitOn(cluster.backup, 'the backup on the primary\'s history', (s) => s.peer?.role === 'primary' && s.generations.current !== '', 15_000);

  // The primary moves on alone: 8 MiB the backup lacks, on a new generation.
  cluster.proxy.cut();
  await cluster.waitFor('the primary noticing the cut', switchedToDelta, 20_000, 50);
  const host = await connectHost(a.port);
  try {
    for (const c of CHANGED) await host.write16(0, (c * CHUNK) / BLOCK, randomBytes(CHUNK));
  } finally {
    await host.logout();
  }
  const ahead = await cluster.status();
  expect(ahead.generations.current).not.toBe(ahead.generations.bitmap);

  // The link comes back slow: the resync starts and takes seconds.
  cluster.proxy.restore();
  cluster.proxy.throttle(THROTTLE);
  const resyncing = await cluster.waitOn(cluster.backup, 'the backup marked as a resync target', (s) => s.resyncTarget, 30_000);
  expect(resyncing.role).toBe('backup');
  const refusedBefore = expectResyncRefusal(await cluster.promote(cluster.backup));

  const staging = cluster.path('backup.img.tandem/pass.staging');
  const deadline = Date.now() + 30_000;
  while (!(existsSync(staging) && statSync(staging).size > 2 * 1024 * 1024)) {
    if (Date.now() > deadline) throw new Error('the resync pass never started staging on the backup');
    await sleep(50);
  }
  const stagedAtKill = statSync(staging).size;
  await cluster.kill(cluster.backup);

  // Restarted while the link is still slow: the unfinished resync is remembered.
  const restarted = await cluster.restartBackup();
  const after = await cluster.waitOn(restarted, 'the restarted backup answering', () => true, 10_000);
  expect(after.role).toBe('backup');
  expect(after.resyncTarget).toBe(true);
  expect(after.generations.current).not.toBe(ahead.generations.current);
  const refusedAfter = expectResyncRefusal(await cluster.promote(restarted));
  expect((await cluster.status(restarted)).role).toBe('backup');

  const restoredAt = Date.now();
  cluster.proxy.restore();
  const done = await cluster.waitFor(
    'the resync completed',
    (s) => s.state === 'continuous' && s.resync === undefined && s.dirtyChunks === 0 && s.peer?.generations?.current === s.generations.current,
    60_000,
  );
  const completedMs = Date.now() - restoredAt;
  const target = await cluster.status(restarted);
  expect(target.resyncTarget).toBe(false);
  expect(target.generations.current).toBe(done.generations.current);
  const { primary, backup } = cluster.hashes();
  expect(backup).toBe(primary);

  // The primary started the resync again after the kill and finished it once.
  const starts = logEvents(a, 'resync-start').filter((e) => e.why === 'peer-behind');
  expect(starts.length).toBeGreaterThanOrEqual(2);
  const ends = logEvents(a, 'resync-end').filter((e) => e.why === 'peer-behind');
  expect(ends).toHaveLength(1);
  expect(logEvents(restarted, 'staged-pass-discarded').length).toBeGreaterThanOrEqual(1);
  report('resync target killed mid-resync', {
    changedBytes: CHANGED.length * CHUNK,
    stagedBytesAtKill: stagedAtKill,
    resyncStarts: starts.length,
    completedAfterRestoreMs: completedMs,
    finalResync: { bytesSent: ends[0]!.bytesSent, durationMs: ends[0]!.durationMs },
    refusedBefore,
    refusedAfter,
  });
});
