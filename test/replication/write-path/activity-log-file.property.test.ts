/**
 * The activity-log file as a codec: any set of hot extents reads back as written, and any
 * bytes at all (a torn or foreign file) open without throwing, as a set of in-range extents
 * or as "lost".
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_LOG_FILE, ActivityLog } from '../../../src/replication/activity-log.js';
import { tempMetaDir } from '../temp-meta.js';

const EXTENT = 4096;
const EXTENTS = 4096;
const VOLUME = EXTENTS * EXTENT;

describe('activity-log file', () => {
  it('reads back every set of hot extents it wrote', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: EXTENTS - 1 }), { minLength: 1, maxLength: 64 }), async (extents) => {
        const dir = tempMetaDir();
        const log = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 64 });
        for (const e of extents) await log.acquire(e * EXTENT, 1);
        await log.close();
        const again = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 64 });
        expect([...again.recovered].sort((a, b) => a - b)).toEqual([...extents].sort((a, b) => a - b));
        await again.close();
      }),
      { numRuns: 40 },
    );
  });

  it('opens any bytes without throwing: in-range extents, or lost', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 4096 }), async (bytes) => {
        const dir = tempMetaDir();
        writeFileSync(join(dir, ACTIVITY_LOG_FILE), bytes);
        const log = await ActivityLog.open({ dir, volumeSize: VOLUME, extentSize: EXTENT, capacity: 8 });
        for (const e of log.recovered) expect(e >= 0 && e < EXTENTS).toBe(true);
        if (bytes.length > 0 && log.recovered.length === 0) expect(log.lost).toBe(true);
        await log.close();
      }),
      { numRuns: 100 },
    );
  });
});
