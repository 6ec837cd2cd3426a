/**
 * Failure matrix: the backup's disk is replaced by a blank one (its image and metadata
 * gone) and the backup is back within the primary's reconnect window, so no command of the
 * primary fails. The primary must bind the new disk as a blank replica and copy everything
 * onto it. Found by hand: the link's reconnect hid the restart, the shared PR state gave
 * the new disk the primary's volume tag back, and the next pass (one chunk) ended with the
 * blank backup adopting the primary's history, in step by every status while holding none
 * of the older data.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { expect, test } from 'vitest';
import { logEvents, report } from './cluster.js';
import { pairPerTest } from './cluster-per-test.js';
import { BLOCK, connectHost } from './host-writer.js';

const SIZE = 32 * 1024 * 1024;
const startPair = pairPerTest();

test('a backup restarted on a blank disk within the reconnect window gets a full resync', async () => {
  const cluster = await startPair(SIZE, { mode: 'auto' });
  await cluster.configSet('healthyForMs', '500ms');
  await cluster.waitContinuous(30_000);

  const host = await connectHost(cluster.primary!.port);
  try {
    for (let mib = 0; mib < 4; mib++) await host.write16(0, (mib * 4 * 1024 * 1024) / BLOCK, randomBytes(1024 * 1024));
    await host.synchronizeCache(0);
    await cluster.waitQuiesced(30_000);
    expect(cluster.hashes().backup).toBe(cluster.hashes().primary);
    const fullResyncsBefore = logEvents(cluster.primary!, 'resync-start').filter((e) => e.full === true).length;

    await cluster.kill(cluster.backup);
    rmSync(cluster.backupImage, { force: true });
    rmSync(`${cluster.backupImage}.tandem`, { recursive: true, force: true });
    const restartedAt = Date.now();
    await cluster.restartBackup();
    const restartMs = Date.now() - restartedAt;
    // Mirrored onto the new disk at once, or tracked: either way not all the disk needs.
    await host.write16(0, (20 * 1024 * 1024) / BLOCK, randomBytes(64 * 1024));

    await cluster.waitFor('a full resync of the new disk', () => logEvents(cluster.primary!, 'resync-start').filter((e) => e.full === true).length > fullResyncsBefore, 30_000);
    await cluster.waitQuiesced(30_000);
    const { primary, backup } = cluster.hashes();
    expect(backup, 'the new backup holds the whole image').toBe(primary);
    const backupStatus = await cluster.status(cluster.backup);
    const primaryStatus = await cluster.status();
    expect(backupStatus.generations.current, 'and the primary\'s history').toBe(primaryStatus.generations.current);
    report('backup replaced by a blank disk', { restartMs, resyncBytesSent: logEvents(cluster.primary!, 'resync-end').at(-1)?.bytesSent });
  } finally {
    await host.logout().catch(() => undefined);
  }
});
