/** Failure matrix 1: steady writes in each continuous flavour; after quiescing the images are byte-identical. */
import { describe, expect, test } from 'vitest';
import { clusterPerTest } from './cluster-per-test.js';
import { HostWriter, randomExtents } from './host-writer.js';

const SIZE = 32 * 1024 * 1024;

describe('steady writes in continuous mode', () => {
  const startCluster = clusterPerTest();

  for (const flavour of ['sync', 'async'] as const) {
    test(`${flavour}: backup and primary images are byte-identical after quiescing`, async () => {
      const cluster = await startCluster(SIZE);
      await cluster.startPrimary({ mode: 'continuous', sync: flavour === 'sync' });
      // A fresh primary first resyncs in delta; it returns to continuous once the link has been healthy this long.
      await cluster.configSet('healthyForMs', '500ms');
      await cluster.waitContinuous();

      const writer = await HostWriter.start({ port: cluster.primary!.port, depth: 4, next: randomExtents(SIZE) });
      await new Promise((r) => setTimeout(r, 2_500));
      const stats = await writer.stop();
      expect(stats.errors).toEqual([]);
      expect(stats.acked).toBeGreaterThan(20);

      const s = await cluster.waitQuiesced(20_000);
      // Nothing fell back to delta: the writes went through the continuous path.
      expect(s.state).toBe('continuous');
      expect(s.flavour).toBe(flavour);
      expect(s.lastSwitch?.to).toBe('continuous');
      const { primary, backup } = cluster.hashes();
      expect(backup).toBe(primary);
    });
  }
});
