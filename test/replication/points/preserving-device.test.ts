/**
 * A staged pass committed through PreservingDevice (as a backup's pass log would apply
 * it) leaves the point taken before it intact: every write and discard reaching the image
 * went through copy-on-write first.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PassStagingLog } from '../../../src/replication/pass-staging-log.js';
import { PreservingDevice } from '../../../src/replication/points/preserving-device.js';
import { openLun, patterned, prng, readAll, readPointAll, silentLogger } from './point-harness.js';

const SIZE = 4 * 1024 * 1024;

describe('PreservingDevice', () => {
  it('keeps a point intact under a committed staged pass and direct writes and discards', async () => {
    const lun = await openLun(SIZE);
    const rng = prng(11);
    try {
      await lun.image.write(patterned(rng, SIZE), 0);
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      const point = await readAll(lun.image, SIZE);
      const guarded = new PreservingDevice(lun.image, lun.points);
      expect(guarded.size).toBe(SIZE);
      const meta = join(lun.dir, 'disk.img.tandem');
      mkdirSync(meta, { recursive: true });
      const staging = await PassStagingLog.open({ dir: meta, device: guarded, logger: silentLogger });
      await staging.begin(7n);
      for (let i = 0; i < 20; i++) {
        const len = 512 * (1 + Math.floor(rng() * 64));
        await staging.write(patterned(rng, len), 512 * Math.floor(rng() * ((SIZE - len) / 512)));
      }
      await staging.commit(7n);
      await staging.close();
      await guarded.write(patterned(rng, 8192), 4096, true);
      await guarded.discard(65536, 131072);
      expect((await readAll(lun.image, SIZE)).equals(point)).toBe(false);
      expect((await readPointAll(lun.points, 1, SIZE)).equals(point)).toBe(true);
      expect(lun.points.newest()!.bytes).toBeGreaterThan(0);
    } finally {
      await lun.cleanup();
    }
  });
});
