/**
 * Failure matrix: points exposed on the backup (`tandem point expose`) survive a restart
 * of the backup, by SIGTERM and by SIGKILL: the restarted `tandem serve` serves them again
 * at the same LUN numbers, each reading exactly the image its point was made of, and they
 * stay pinned against retention. `tandem point unexpose` removes the record too: after
 * the next restart that LUN is gone and its point is pruned like any other.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import type { IscsiSession } from '../../src/initiator/index.js';
import { BACKUP_IQN, hashFile, runCli, type Cluster } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';
import { BLOCK, connectHost } from './host-writer.js';

const SIZE = 8 * 1024 * 1024;
const startCluster = clusterPerTest();

async function cli(args: string[]): Promise<string> {
  const r = await runCli(args);
  expect(r.code, `tandem ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The SHA-256 of a LUN's whole image, read by a host through the backup's target. */
async function hashOfLun(session: IscsiSession, lun: number): Promise<string> {
  const hash = createHash('sha256');
  const blocks = 256;
  for (let lba = 0; lba < SIZE / BLOCK; lba += blocks) hash.update(await session.read16(lun, lba, blocks));
  return hash.digest('hex');
}

test('exposed points are served again at their LUN numbers after SIGTERM and SIGKILL, pinned; unexpose removes the record', async () => {
  const cluster: Cluster = await startCluster(SIZE);
  await cluster.startPrimary({ mode: 'continuous' });
  await cluster.configSet('pointInterval', '0');
  await cluster.waitContinuous();
  const host = await connectHost(cluster.primary!.port);
  const control = () => cluster.backup.control;
  /** Point id → the primary's image when it was made. */
  const made = new Map<number, string>();
  const points = async () => (JSON.parse(await cli(['points', '--json', '--control', control()])) as { targets: Array<{ points: Array<{ id: number }> }> }).targets[0]!.points.map((p) => p.id);
  const prune = () => cli(['config', 'set', 'retention', 'last=1', '--control', control()]);
  /** Restarts the backup and opens a reader on it; the caller logs it out. */
  const restart = async (signal: 'SIGTERM' | 'SIGKILL') => {
    if (signal === 'SIGKILL') await cluster.kill(cluster.backup);
    else {
      cluster.backup.child.kill('SIGTERM');
      expect((await cluster.backup.exited).code, 'a clean stop').toBe(0);
    }
    await cluster.restartBackup();
    return connectHost(cluster.backup.port, BACKUP_IQN);
  };

  try {
    for (let i = 0; i < 3; i++) {
      for (let w = 0; w < 8; w++) await host.write16(0, ((i * 977 + w * 131) % (SIZE / 4096)) * (4096 / BLOCK), randomBytes(4096));
      await host.synchronizeCache(0);
      const image = hashFile(cluster.path('primary.img'));
      const created = JSON.parse(await cli(['point', 'create', '--json', '--control', cluster.primary!.control])) as { points: Array<{ id: number }> };
      made.set(created.points[0]!.id, image);
    }
    const [first, second, newest] = [...made.keys()] as [number, number, number];
    const exposeAs = async (id: number) => (JSON.parse(await cli(['point', 'expose', String(id), '--json', '--control', control()])) as { exposedLun: number }).exposedLun;
    const lunOfFirst = await exposeAs(first);
    const lunOfSecond = await exposeAs(second);

    let reader = await restart('SIGTERM');
    expect(await reader.reportLuns()).toEqual(expect.arrayContaining([0, lunOfFirst, lunOfSecond]));
    expect(await hashOfLun(reader, lunOfFirst)).toBe(made.get(first));
    expect(await hashOfLun(reader, lunOfSecond)).toBe(made.get(second));
    await prune();
    expect(await points(), 'exposed points stay pinned after the restart').toEqual([first, second, newest]);
    await cli(['point', 'unexpose', String(second), '--control', control()]);
    await reader.logout();

    reader = await restart('SIGKILL');
    const luns = await reader.reportLuns();
    expect(luns).toContain(lunOfFirst);
    expect(luns).not.toContain(lunOfSecond);
    expect(await hashOfLun(reader, lunOfFirst)).toBe(made.get(first));
    await prune();
    expect(await points(), 'the unexposed point goes, the exposed one stays').toEqual([first, newest]);
    await cli(['point', 'unexpose', String(first), '--control', control()]);
    await reader.logout();

    reader = await restart('SIGKILL');
    expect(await reader.reportLuns()).toEqual([0]);
    await reader.logout();
    await prune();
    expect(await points()).toEqual([newest]);
  } finally {
    await host.logout().catch(() => undefined);
  }
}, 180_000);
