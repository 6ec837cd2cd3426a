/**
 * Found by test/failures/unplanned-failover-stale-primary-resync.failure.ts: `tandem
 * promote` reports the newest write the backup holds from its primary. A running server
 * never persisted it (only close() did), so a promotion reported "an unknown time".
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { openHarness } from './device-harness.js';
import { tempMetaDir } from './temp-meta.js';

test('promote --force reports when the backup last applied a write from its primary', async () => {
  const h = await openHarness(tempMetaDir(), { role: 'backup' });
  try {
    h.clock.now = 5_000_000;
    // The primary's write, as the replicator sends it.
    await h.device.write(randomBytes(4096), 0);
    h.clock.now += 10_000;
    const result = await h.device.promote(true);
    expect(result.newestWriteAt).toBe(5_000_000);
  } finally {
    await h.device.close();
  }
});
