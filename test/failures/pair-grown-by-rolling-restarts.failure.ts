/**
 * Growing a replicated LUN as an operator would, one node at a time and the hosts served
 * throughout: the backup is restarted with the larger size first (the primary goes on
 * replicating onto it, and the backup's recovery points are kept), then the primary; the
 * grown part is resynchronised and the images end identical, host writes to the new
 * space included.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { expect, test } from 'vitest';
import { CHUNK, logEvents, runCli } from './cluster.js';
import { pairPerTest } from './cluster-per-test.js';
import { BLOCK, connectHost } from './host-writer.js';

const SIZE = 16 * 1024 * 1024;
const GROWN = 32 * 1024 * 1024;

const startPair = pairPerTest();

async function writeChunks(port: number, firstByte: number, count: number): Promise<void> {
  const host = await connectHost(port);
  try {
    for (let c = 0; c < count; c++) await host.write16(0, (firstByte + c * 2 * CHUNK) / BLOCK, randomBytes(CHUNK / 2));
  } finally {
    await host.logout();
  }
}

test('a pair grown backup first, then primary, keeps replicating and ends identical', async () => {
  const cluster = await startPair(SIZE, { mode: 'auto' });
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.waitContinuous(20_000);
  await writeChunks(cluster.primary!.port, 0, 16);
  await cluster.waitQuiesced(20_000);
  const made = await runCli(['point', 'create', '--label', 'before-growth', '--control', cluster.primary!.control]);
  expect(made.code, made.stderr).toBe(0);

  // The backup first: a replica larger than the primary is replicated onto.
  await cluster.kill(cluster.backup);
  cluster.size = GROWN;
  await cluster.restartBackup();
  expect(statSync(cluster.backupImage).size).toBe(GROWN);
  await writeChunks(cluster.primary!.port, 4 * 1024 * 1024, 16);
  const mirrored = await cluster.waitQuiesced(30_000);
  expect(mirrored.binding.state).toBe('bound');
  const points = await runCli(['points', '--json', '--control', cluster.backup.control]);
  expect(points.code, points.stderr).toBe(0);
  expect(points.stdout).toContain('before-growth');
  expect(logEvents(cluster.backup, 'points-grown')).toEqual([expect.objectContaining({ from: SIZE, to: GROWN })]);

  // Then the primary: its grown part is resynchronised, and hosts write into it.
  await cluster.kill(cluster.primary!);
  await cluster.restartPrimary();
  await writeChunks(cluster.primary!.port, SIZE + 1024 * 1024, 16);
  const done = await cluster.waitQuiesced(30_000);
  expect(done.binding.state).toBe('bound');
  expect(logEvents(cluster.primary!, 'replication-open').at(-1)).toMatchObject({ grownFrom: SIZE });
  const { primary, backup } = cluster.hashes();
  expect(backup).toBe(primary);
});
