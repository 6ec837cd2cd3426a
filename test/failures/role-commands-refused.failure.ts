/**
 * Failure matrix 13: role commands that would break the pair are refused, each with one
 * line on stderr and exit 1, and change nothing: `promote` without --force while the peer
 * is a reachable primary, `demote` on a backup, `switchover` on a backup; besides,
 * `resolve --discard-local` with no split brain, and once the link is cut, `promote`
 * without --force (the peer is unreachable) and `switchover` on the primary (its peer is
 * not following).
 */
import { expect, test } from 'vitest';
import { report, switchedToDelta, type CliResult } from './cluster.js';
import { pairPerTest } from './cluster-per-test.js';

const SIZE = 16 * 1024 * 1024;

const startPair = pairPerTest();

/** Exit 1 with exactly one line on stderr, `tandem: <command>: <why>`, and nothing on stdout. */
function expectRefused(r: CliResult, command: string, why: RegExp): string {
  expect(r.code, `${command}: ${r.stderr}${r.stdout}`).toBe(1);
  const line = r.stderr.trim();
  expect(line.split('\n'), `${command} stderr`).toHaveLength(1);
  expect(line).toMatch(new RegExp(`^tandem: ${command}: `));
  expect(line).toMatch(why);
  expect(r.stdout).toBe('');
  return line;
}

test('13: promote (peer a reachable primary), demote and switchover on a backup are refused with one line, exit 1, nothing changed', async () => {
  const cluster = await startPair(SIZE);
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.waitContinuous();
  // The backup has looked at its peer: it knows it is a primary.
  await cluster.waitOn(cluster.backup, 'the backup seeing its primary', (s) => s.peer?.reachable === true && s.peer.role === 'primary', 15_000);
  const before = await cluster.status(cluster.backup);
  expect(before.state).toBe('backup');

  const promote = expectRefused(await cluster.promote(cluster.backup), 'promote', /peer is a reachable primary/);
  const demote = expectRefused(await cluster.demote(cluster.backup), 'demote', /not the primary/);
  const switchover = expectRefused(await cluster.switchover(cluster.backup), 'switchover', /not the primary/);
  const resolveBackup = expectRefused(await cluster.resolveDiscardLocal(cluster.backup), 'resolve', /not in split brain/);
  const resolvePrimary = expectRefused(await cluster.resolveDiscardLocal(cluster.primary!), 'resolve', /not in split brain/);

  // Nothing changed: the backup is still a backup on the same history, the primary still mirrors onto it.
  const after = await cluster.status(cluster.backup);
  expect(after.role).toBe('backup');
  expect(after.generations).toEqual(before.generations);
  const primary = await cluster.status();
  expect(primary.role).toBe('primary');
  expect(primary.state).toBe('continuous');
  expect(primary.binding.state).toBe('bound');

  // With the peer unreachable, a promotion without --force is refused too (it names --force).
  cluster.partition();
  await cluster.waitOn(cluster.backup, 'the backup losing its peer', (s) => s.peer?.reachable === false, 20_000);
  const alone = expectRefused(await cluster.promote(cluster.backup), 'promote', /peer is unreachable.*--force/);
  expect((await cluster.status(cluster.backup)).role).toBe('backup');
  await cluster.waitFor('the primary noticing the cut', switchedToDelta, 20_000, 50);
  const notFollowing = expectRefused(await cluster.switchover(cluster.primary!), 'switchover', /peer is not following/);
  expect((await cluster.status()).role).toBe('primary');
  report('role commands refused', { promote, demote, switchover, resolveBackup, resolvePrimary, unreachable: alone, switchoverPartitioned: notFollowing });
});

test('13b: two switchovers at once on the primary: one swaps the roles, the other is refused with one line, exit 1', async () => {
  const cluster = await startPair(SIZE);
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.waitContinuous();
  const oldPrimary = cluster.primary!;
  const results = await Promise.all([cluster.switchover(oldPrimary), cluster.switchover(oldPrimary)]);
  expect(results.map((r) => r.code).sort(), results.map((r) => r.stderr + r.stdout).join(' | ')).toEqual([0, 1]);
  const second = expectRefused(results.find((r) => r.code === 1)!, 'switchover', /not the primary/);
  // Exactly one primary: the old backup; the old primary follows it.
  await cluster.waitOn(cluster.backup, 'the old backup mirroring as the primary', (s) => s.role === 'primary' && s.state === 'continuous', 30_000);
  expect((await cluster.status(oldPrimary)).role).toBe('backup');
  report('two switchovers at once', { second });
});
