/**
 * Failure matrix 8: a backup already claimed by one primary volume; a second primary with
 * another volume (another image, hence another metaDir and volume id) pointed at it must
 * refuse to start: one clear line on stderr and a non-zero exit, the backup untouched.
 */
import { expect, test } from 'vitest';
import { hashFile, report } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';

const SIZE = 16 * 1024 * 1024;

const startCluster = clusterPerTest();

test('a primary pointed at a replica that belongs to another volume exits non-zero with one clear line', async () => {
  const cluster = await startCluster(SIZE);
  await cluster.startPrimary({ mode: 'auto' });
  // The first primary has bound the backup (its volume tag is registered there).
  const first = await cluster.status();
  expect(first.identity.volumeId).toMatch(/^[0-9a-f-]{36}$/);
  // Stop it (as an operator might), so only the tag, not a live session, stands in the way.
  await cluster.kill(cluster.primary!);
  const backupBefore = hashFile(cluster.path('backup.img'));

  const intruder = await cluster.startPrimary({ mode: 'auto', image: 'other.img', waitListening: false });
  const exit = await Promise.race([
    intruder.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the wrong primary did not exit within 20 s')), 20_000)),
  ]);
  expect(exit.code).not.toBe(0);
  expect(exit.code).toBe(1);
  const stderr = intruder.stderr().trim();
  expect(stderr.split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^tandem: LUN .*other\.img: replica .* belongs to another volume/);
  expect(stderr).toContain('--start-over');
  // A node whose disk was replaced looks just like this: the safe way round is said first.
  expect(stderr).toMatch(/If this node's disk was replaced, promote the peer \(tandem promote there\) and restart this node with --role backup/);
  // The refusal wrote nothing to the backup.
  expect(hashFile(cluster.path('backup.img'))).toBe(backupBefore);
  report('wrong replica', { exitCode: exit.code, stderr });
});
