import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { expectIdentical, openHarness, randomWrites, reachContinuous } from './device-harness.js';
import { tempMetaDir } from './temp-meta.js';

describe('ReplicatedDevice auto mode', () => {
  for (const flavour of ['sync', 'async'] as const) {
    it(`${flavour}: a cut link → delta, writes still acknowledged; restored → final pass → continuous, identical`, async () => {
      const h = await openHarness(tempMetaDir(), { mode: 'auto', flavour });
      await reachContinuous(h);
      await randomWrites(h.device, 50);
      h.link.cut = true;
      await randomWrites(h.device, 50);
      await h.tick(1000);
      const s = h.device.status();
      expect(s.state).toBe('delta');
      expect(s.lastSwitch?.reason).toBe('link-failed');
      expect(s.dirtyChunks).toBeGreaterThan(0);
      await randomWrites(h.device, 50);
      h.link.cut = false;
      await h.tick(100); // healthy, but not yet for healthyForMs
      expect(h.device.status().state).toBe('delta');
      await h.tick(1500);
      const after = h.device.status();
      expect(after.state).toBe('continuous');
      expect(after.lastSwitch?.reason).toBe('link-healthy');
      expect(after.dirtyChunks).toBe(0);
      await expectIdentical(h);
      await h.device.close();
    });
  }

  it('copying starts as soon as the link is back; only the return to continuous waits for the hysteresis', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'auto', flavour: 'async' });
    await reachContinuous(h);
    h.link.cut = true;
    await randomWrites(h.device, 50);
    await h.tick(1000);
    expect(h.device.status().dirtyChunks).toBeGreaterThan(0);
    h.link.cut = false;
    await h.tick(100); // healthy, not yet for healthyForMs
    const early = h.device.status();
    expect(early.state).toBe('delta');
    expect(early.dirtyChunks).toBe(0);
    await expectIdentical(h);
    // Writes meanwhile wait for the catch-up: one early pass per healthy period.
    await randomWrites(h.device, 20);
    await h.tick(100);
    expect(h.device.status().dirtyChunks).toBeGreaterThan(0);
    await h.tick(1500);
    expect(h.device.status().state).toBe('continuous');
    await expectIdentical(h);
    await h.device.close();
  });

  it('a rewrite-heavy workload trips the redundancy criterion; the pass sends the chunk once', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'auto', flavour: 'async' });
    await reachContinuous(h);
    // The flusher falls behind: stuck on its first batch until released (a fixed link delay
    // raced the writes, and a slow machine let the flusher keep up).
    const release = h.link.hold();
    for (let i = 0; i < 100; i++) await h.device.write(randomBytes(4096), 8192);
    // The tick judges the figures at once; the switch then waits for the batch in flight.
    const tick = h.tick(1000);
    await vi.waitFor(() => expect(h.device.status().state).toBe('delta'), { timeout: 10_000 });
    release();
    await tick;
    const s = h.device.status();
    expect(s.state).toBe('delta');
    expect(s.lastSwitch?.reason).toBe('journal-redundant');
    expect(s.dirtyChunks).toBe(1);
    const before = h.link.health().bytesWritten;
    await h.tick(2000);
    expect(h.device.status().state).toBe('continuous');
    expect(h.link.health().bytesWritten - before).toBe(65536);
    await expectIdentical(h);
    await h.device.close();
  });

  it('a journal that cannot take a write switches to delta instead of failing it', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'auto', flavour: 'async', journalCapacity: 64 * 1024 });
    await reachContinuous(h);
    h.link.cut = true;
    for (let i = 0; i < 40; i++) await h.device.write(randomBytes(4096), i * 65536 % (1024 * 1024));
    await h.tick();
    expect(h.device.status().state).toBe('delta');
    expect(['journal-full', 'link-failed']).toContain(h.device.status().lastSwitch?.reason);
    h.link.cut = false;
    await h.tick(2000); // healthy from now
    await h.tick(2000);
    expect(h.device.status().state).toBe('continuous');
    await expectIdentical(h);
    await h.device.close();
  });
});
