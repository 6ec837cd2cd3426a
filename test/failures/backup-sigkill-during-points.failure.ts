/**
 * Failure matrix: SIGKILL of the backup while recovery points are being taken and pruned.
 * The backup keeps only the last 2 points, so every point it takes prunes one; host writes
 * land between points. Each point's image is known (the primary's image hash when it was
 * made, host writes paused). The backup is killed while a `tandem point create` is in
 * flight, three times; after each restart (link cut, so nothing new arrives) its catalogue
 * opens, every point it lists exports exactly the image recorded for that id, the point in
 * flight at the kill is either listed and whole or absent, and replication goes on.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { hashFile, report, runCli, sleep, type Cluster } from './cluster.js';
import { clusterPerTest } from './cluster-per-test.js';
import { BLOCK, connectHost } from './host-writer.js';

const SIZE = 16 * 1024 * 1024;
const startCluster = clusterPerTest();

interface Listed {
  id: number;
  origin: string;
}

async function listPoints(cluster: Cluster): Promise<Listed[]> {
  const r = await runCli(['points', '--json', '--control', cluster.backup.control]);
  expect(r.code, `tandem points on the backup: ${r.stderr}`).toBe(0);
  return (JSON.parse(r.stdout) as { targets: Array<{ points: Listed[] }> }).targets[0]!.points;
}

test('SIGKILL of the backup while points are taken and pruned: every listed point is whole, the catalogue opens', async () => {
  const cluster = await startCluster(SIZE);
  await cluster.configSet('retention', 'last=2', cluster.backup);
  await cluster.startPrimary({ mode: 'continuous' });
  await cluster.configSet('pointInterval', '0');
  await cluster.waitContinuous();

  const host = await connectHost(cluster.primary!.port);
  /** Point id → the primary's image hash when it was made. */
  const images = new Map<number, string>();
  let seed = 1;
  const writeSome = async () => {
    for (let i = 0; i < 16; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      await host.write16(0, ((seed % (SIZE / 4096)) * 4096) / BLOCK, randomBytes(4096));
    }
    await host.synchronizeCache(0);
  };
  const create = async (): Promise<{ code: number | null; id?: number; hash: string }> => {
    const hash = hashFile(cluster.path('primary.img'));
    const r = await runCli(['point', 'create', '--json', '--control', cluster.primary!.control], 60_000);
    const id = r.code === 0 ? (JSON.parse(r.stdout) as { points: Array<{ id: number }> }).points[0]!.id : undefined;
    return { code: r.code, hash, ...(id !== undefined ? { id } : {}) };
  };

  const kills: Array<{ listed: number[]; inFlightKept: boolean | undefined }> = [];
  try {
    for (let cycle = 0; cycle < 3; cycle++) {
      for (let i = 0; i < 4; i++) {
        await writeSome();
        const made = await create();
        expect(made.code, 'point create with the backup up').toBe(0);
        images.set(made.id!, made.hash);
      }
      await writeSome();
      // The next id: one above the newest the primary handed out.
      const nextId = Math.max(...images.keys()) + 1;
      const inFlight = create();
      // Somewhere in the point's take or the prune after it (or just before or after: all must hold).
      await sleep(5 + cycle * 15);
      await cluster.kill(cluster.backup);
      const outcome = await inFlight;
      cluster.proxy.cut();
      await cluster.restartBackup();

      const listed = await listPoints(cluster);
      const ids = listed.map((p) => p.id);
      expect(ids, 'ids in order').toEqual([...ids].sort((a, b) => a - b));
      // The point in flight, if listed, is whole: its image is the one recorded before it was asked for.
      if (ids.includes(nextId)) images.set(nextId, outcome.hash);
      for (const id of ids) {
        expect(images.has(id), `point ${id} was made by this test`).toBe(true);
        const to = cluster.path(`export-${cycle}-${id}.img`);
        const r = await runCli(['point', 'export', String(id), '--to', to, '--control', cluster.backup.control]);
        expect(r.code, `export of point ${id}: ${r.stderr}`).toBe(0);
        expect(hashFile(to), `point ${id} after restart ${cycle}`).toBe(images.get(id));
      }
      // The last point the primary reported done is never lost (the backup held it, durably).
      const acknowledged = [...images.keys()].filter((id) => id !== nextId || outcome.code === 0);
      expect(ids).toContain(Math.max(...acknowledged));
      kills.push({ listed: ids, inFlightKept: outcome.code === 0 ? true : ids.includes(nextId) });

      cluster.proxy.restore();
      await cluster.waitContinuous(60_000);
    }
    // Replication went on: a last point is taken and whole.
    await writeSome();
    const last = await create();
    expect(last.code).toBe(0);
    const to = cluster.path('export-last.img');
    expect((await runCli(['point', 'export', String(last.id), '--to', to, '--control', cluster.backup.control])).code).toBe(0);
    expect(hashFile(to)).toBe(last.hash);
    const log = readFileSync(cluster.backup.log, 'utf8');
    report('backup SIGKILL while points are taken and pruned', { kills, pruned: (log.match(/"event":"points-pruned"/g) ?? []).length });
  } finally {
    await host.logout().catch(() => undefined);
  }
}, 300_000);
