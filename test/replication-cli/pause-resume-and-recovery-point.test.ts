import { describe, expect, it } from 'vitest';
import { openHarness, reachContinuous } from '../replication/device-harness.js';
import { tempMetaDir } from '../replication/temp-meta.js';

describe('admin pause/resume and the recovery-point age', () => {
  it('pause folds continuous into delta and holds it there; resume lets the healthy link bring continuous back', async () => {
    const h = await openHarness(tempMetaDir());
    try {
      await reachContinuous(h);
      await h.device.pause();
      expect(h.device.status()).toMatchObject({ state: 'delta', paused: true, lastSwitch: { reason: 'admin' } });
      await h.device.write(Buffer.alloc(512, 1), 0);
      for (let i = 0; i < 4; i++) await h.tick(2000);
      expect(h.device.status().state).toBe('delta');
      expect(h.device.status().dirtyChunks).toBe(1);
      h.device.resume();
      for (let i = 0; i < 4 && h.device.status().state !== 'continuous'; i++) await h.tick(2000);
      expect(h.device.status()).toMatchObject({ state: 'continuous', paused: false, dirtyChunks: 0 });
    } finally {
      await h.device.close();
    }
  });

  it('counts from the first write not yet on the backup, and drops to 0 once a pass has sent it', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'delta' });
    try {
      await h.device.replicateNow(); // the first full sync
      expect(h.device.status().recoveryPointAgeMs).toBe(0);
      await h.device.write(Buffer.alloc(512, 2), 4096);
      h.clock.now += 1500;
      await h.device.write(Buffer.alloc(512, 3), 200 * 1024);
      h.clock.now += 1000;
      expect(h.device.status().recoveryPointAgeMs).toBe(2500);
      await h.device.replicateNow();
      expect(h.device.status().recoveryPointAgeMs).toBe(0);
    } finally {
      await h.device.close();
    }
  });

  it('config thresholds change at run time and show in status', async () => {
    const h = await openHarness(tempMetaDir());
    try {
      h.device.setThreshold('maxRedundancy', 5);
      h.device.setThreshold('deltaIntervalMs', 30_000);
      expect(h.device.status().thresholds.maxRedundancy).toBe(5);
      expect(h.device.status().deltaIntervalMs).toBe(30_000);
      expect(() => h.device.setThreshold('maxRttMs', Number.NaN)).toThrow(RangeError);
    } finally {
      await h.device.close();
    }
  });
});
