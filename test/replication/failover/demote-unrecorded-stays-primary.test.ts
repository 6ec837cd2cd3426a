/**
 * A demotion whose new role cannot be recorded (the metadata disk full, an I/O error) leaves
 * this node the primary, on disk and to the hosts: it must keep an engine. It used to be left
 * with none, so it took host writes that nothing replicated or marked, and a later resync
 * or failover lost them.
 */
import { describe, expect, it } from 'vitest';
import { nodeFiles, type DurableFiles } from '../../../src/block/durable-file.js';
import { IDENTITY_FILE } from '../../../src/replication/volume-record.js';
import { expectIdentical, openHarness, reachContinuous } from '../device-harness.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;

/** node:fs whose replacement of the volume record fails while `failing` is set. */
function recordFailingFiles(): { files: DurableFiles; failing: { on: boolean } } {
  const failing = { on: false };
  const files: DurableFiles = {
    ...nodeFiles,
    rename: (from, to) => (failing.on && to.endsWith(`/${IDENTITY_FILE}`) ? Promise.reject(new Error('ENOSPC: no space left on device')) : nodeFiles.rename(from, to)),
  };
  return { files, failing };
}

describe('a demotion that cannot record the backup role', () => {
  for (const flavour of ['sync', 'async'] as const) {
    it(`${flavour}: fails, and the node stays a primary that tracks and replicates its writes`, async () => {
      const { files, failing } = recordFailingFiles();
      const h = await openHarness(tempMetaDir(), { mode: 'auto', flavour, files });
      await reachContinuous(h);
      failing.on = true;
      await expect(h.device.demote()).rejects.toThrow(/stays the primary/);
      failing.on = false;
      expect(h.device.role).toBe('primary');
      await h.device.write(Buffer.alloc(B, 9), 128 * 1024);
      // An engine again, starting in delta tracking: the write is marked for the backup.
      expect(h.device.status().state).toBe('delta');
      expect(h.device.status().dirtyChunks).toBeGreaterThan(0);
      for (let i = 0; i < 10 && h.device.status().state !== 'continuous'; i++) await h.tick(2000);
      expect(h.device.status().state).toBe('continuous');
      await expectIdentical(h);
      await h.device.close();
    });
  }
});
