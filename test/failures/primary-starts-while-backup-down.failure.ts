/**
 * Beyond the matrix: a primary (re)started while its backup is down serves its hosts at
 * once, tracking writes in the delta table; when the backup comes back the primary checks
 * that it is this volume's replica, resynchronises and mirrors again, images identical.
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { CHUNK } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';
import { BLOCK, connectHost } from './host-writer.js';

const SIZE = 16 * 1024 * 1024;

const startCluster = clusterPerTest();

test('a primary started while the backup is down serves at once and converges when the backup returns', async () => {
  const cluster = await startCluster(SIZE);
  await cluster.kill(cluster.backup);
  const primary = await cluster.startPrimary({ mode: 'auto' });
  await cluster.configSet('healthyForMs', '500ms');
  const away = await cluster.status();
  expect(away.binding.state).toBe('pending');
  expect(away.state).toBe('delta');

  const host = await connectHost(primary.port);
  try {
    for (let c = 0; c < 32; c++) await host.write16(0, (c * 3 * CHUNK) / BLOCK, randomBytes(CHUNK / 2));
  } finally {
    await host.logout();
  }
  expect((await cluster.status()).dirtyChunks).toBeGreaterThanOrEqual(32);

  await cluster.restartBackup();
  const back = await cluster.waitQuiesced(30_000);
  expect(back.binding.state).toBe('bound');
  const { primary: p, backup: b } = cluster.hashes();
  expect(b).toBe(p);
});
