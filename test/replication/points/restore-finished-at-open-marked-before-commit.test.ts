/**
 * A restore a crash cut short is finished by the next open of the points, and what it changed
 * is marked in the change map before that open commits it (PointStoreOptions.beforeCommit;
 * the LUN's open opens its delta table first and marks there). It used to be marked only once
 * the engine had opened, after the staging log, the peer link and the settings: a crash or a
 * failed start in between left the restore committed and its ranges marked nowhere, so the
 * pair never resynchronised them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openReplicatedLun } from '../../../src/cli/replicated-lun.js';
import type { LunConfig, ServeSettings } from '../../../src/cli/serve-config.js';
import { SETTINGS_FILE } from '../../../src/replication/control/persisted-settings.js';
import { DeltaTable } from '../../../src/replication/delta-table.js';
import { openLun, patterned, prng, readAll, reopen, silentLogger, write, type Lun } from './point-harness.js';

const SIZE = 2 * 1024 * 1024;
const CHUNK = 64 * 1024;
type Ranges = ReadonlyArray<{ offset: number; length: number }>;

/** Point 1 of a written image, 8 KiB rewritten at the start of chunks 0..7, then a restore to 1 cut short before its marks. */
async function restoreCutShort(): Promise<{ lun: Lun; atPoint: Buffer }> {
  const lun = await openLun(SIZE);
  const rng = prng(3);
  await write(lun.points, lun.image, patterned(rng, SIZE), 0);
  await lun.points.take({ id: 1, at: 1, origin: 'manual' });
  const atPoint = await readAll(lun.image, SIZE);
  for (let i = 0; i < 8; i++) await write(lun.points, lun.image, patterned(rng, 8192), CHUNK * i);
  // The image rolled back, the node dead before the marks were durable (a power loss during the rollback leaves the same).
  await expect(lun.points.restore(1, async () => { throw new Error('crash before the marks'); })).rejects.toThrow();
  return { lun, atPoint };
}

describe('a restore finished when the points open', () => {
  it('is committed only once its ranges are marked', async () => {
    const { lun, atPoint } = await restoreCutShort();
    try {
      // Marking fails (a crash, a full disk): the open fails, the restore still pending.
      await expect(reopen(lun, { beforeCommit: async () => { throw new Error('crash while marking'); } })).rejects.toThrow('crash while marking');
      const told: Ranges[] = [];
      await reopen(lun, { beforeCommit: async (changed) => void told.push(changed) });
      expect(lun.points.recovered?.restoredTo).toBe(1);
      expect(told).toEqual([lun.points.recovered!.changed]);
      for (let i = 0; i < 8; i++) expect(told[0]!.some((r) => r.offset <= CHUNK * i && CHUNK * i + 8192 <= r.offset + r.length), `chunk ${i}`).toBe(true);
      expect((await readAll(lun.image, SIZE)).equals(atPoint)).toBe(true);
      // Marked and committed: finished once.
      await reopen(lun, { beforeCommit: async (changed) => void told.push(changed) });
      expect(lun.points.recovered).toBeUndefined();
      expect(told).toHaveLength(1);
    } finally {
      await lun.cleanup();
    }
  });

  it('has its ranges in the delta table even when the LUN fails to start after the points opened', async () => {
    const { lun } = await restoreCutShort();
    try {
      await lun.points.close();
      const metaDir = join(lun.dir, 'disk.img.tandem');
      // Damaged persisted settings: read after the points, the staging log and the peer link opened, before the engine.
      writeFileSync(join(metaDir, SETTINGS_FILE), '{');
      const config: LunConfig = { path: join(lun.dir, 'disk.img'), readOnly: false, blockSize: 512 };
      const settings: ServeSettings = { portals: [], targets: [], logLevel: 'silent' };
      const identity = { naa: Buffer.alloc(16, 1), serial: 'restore-at-open' };
      await expect(openReplicatedLun(lun.image, config, metaDir, 'backup', settings, identity, silentLogger, { target: 'iqn.2026-12.test:points', lun: 0 })).rejects.toThrow(/not valid JSON/);
      // The restore is committed (the next open reports none)...
      await reopen(lun);
      expect(lun.points.recovered).toBeUndefined();
      // ... and every chunk it changed is marked, durably.
      const table = await DeltaTable.open({ dir: metaDir, volumeSize: SIZE });
      try {
        expect(table.markedChunks()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      } finally {
        await table.close();
      }
    } finally {
      await lun.cleanup();
    }
  });
});
