/**
 * Failure matrix 6: SIGKILL the backup in the middle of a delta pass. The pass is staged on
 * the backup and applied only at commit, so after the restart the backup's image equals
 * the previous consistent image or the new one (image hashes recorded at both points),
 * never a mix; host writes made during the pass do not leak into it (copy-on-write); and
 * once the link is back the next passes converge the two images.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { expect, test } from 'vitest';
import { CHUNK, hashFile, report, runCli, sleep } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';
import { BLOCK, connectHost } from './host-writer.js';

const SIZE = 32 * 1024 * 1024;
/** Every other chunk over the first 24 MiB: 12 MiB for the pass to copy. */
const PASS_CHUNKS = Array.from({ length: 192 }, (_, i) => 2 * i);
/** Slow enough that the pass is still staging when the backup is killed. */
const THROTTLE = 1024 * 1024;

const startCluster = clusterPerTest();

test('6: SIGKILL of the backup during a delta pass: previous or new image after restart, then converges', async () => {
  const cluster = await startCluster(SIZE);
  await cluster.startPrimary({ mode: 'delta' });
  await cluster.configSet('deltaIntervalMs', '3600s');
  // The first full copy (not staged: a blank replica has no consistent image to keep).
  await cluster.replicate();
  await cluster.waitFor('the first copy', (s) => s.dirtyChunks === 0 && s.identity.replicaSynced, 30_000);

  const host = await connectHost(cluster.primary!.port);
  try {
    for (const c of PASS_CHUNKS) await host.write16(0, (c * CHUNK) / BLOCK, randomBytes(CHUNK));
    await host.synchronizeCache(0);
    const previous = hashFile(cluster.path('backup.img'));
    const next = hashFile(cluster.path('primary.img'));
    expect(next).not.toBe(previous);

    cluster.proxy.throttle(THROTTLE);
    const pass = runCli(['replicate', '--json', '--control', cluster.primary!.control], 120_000);
    const staging = cluster.path('backup.img.tandem/pass.staging');
    const deadline = Date.now() + 30_000;
    while (!(existsSync(staging) && statSync(staging).size > 2 * 1024 * 1024)) {
      if (Date.now() > deadline) throw new Error('the pass never started staging on the backup');
      await sleep(50);
    }
    // Host writes to chunks of the running pass: they must not reach this pass's image.
    for (const c of PASS_CHUNKS.slice(-8)) await host.write16(0, (c * CHUNK) / BLOCK, randomBytes(CHUNK));
    const stagedAtKill = statSync(staging).size;
    await cluster.kill(cluster.backup);
    const cli = await pass;
    expect(cli.code, 'tandem replicate reports the interrupted pass').not.toBe(0);

    // Restarted behind a cut link: what it holds is its own recovery, before the primary can send anything.
    cluster.proxy.cut();
    const restarted = await cluster.restartBackup();
    const recovered = hashFile(cluster.path('backup.img'));
    expect([previous, next], 'the backup image after restart').toContain(recovered);
    const events = readFileSync(restarted.log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"event":"staged-pass-'))
      .map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events.pop()).toBe(recovered === previous ? 'staged-pass-discarded' : 'staged-pass-replayed');

    // Back online: delta passes run again and the images converge.
    cluster.proxy.restore();
    await cluster.configSet('deltaIntervalMs', '1s');
    const converged = await cluster.waitFor('converged', (s) => s.dirtyChunks === 0 && s.link.up && s.lastPass !== undefined && s.lastPass.staged, 60_000);
    const { primary, backup } = cluster.hashes();
    expect(backup).toBe(primary);
    report('backup SIGKILL during a delta pass', {
      stagedBytesAtKill: stagedAtKill,
      recoveredTo: recovered === previous ? 'previous image' : 'new image',
      convergingPassChunks: converged.lastPass!.chunks,
    });
  } finally {
    await host.logout().catch(() => undefined);
  }
});
