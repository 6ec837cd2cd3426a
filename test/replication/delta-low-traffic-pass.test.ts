/**
 * Delta mode copies "from time to time": every deltaIntervalMs, on `tandem replicate`, and
 * early once host writes have stayed quiet (<= lowTrafficBytesPerSec for lowTrafficForMs).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openHarness, VOLUME, type Harness } from './device-harness.js';
import { tempMetaDir } from './temp-meta.js';

async function synced(thresholds: Record<string, number> = {}): Promise<Harness> {
  const h = await openHarness(tempMetaDir(), { mode: 'delta', deltaIntervalMs: 60_000, thresholds: { healthyForMs: 1000, ...thresholds } });
  await h.device.replicateNow();
  expect(h.device.status().dirtyChunks).toBe(0);
  return h;
}

/** One second of host writes at `bytesPerSec`, then a tick. */
async function second(h: Harness, bytesPerSec: number): Promise<void> {
  for (let done = 0; done < bytesPerSec; done += 64 * 1024) await h.device.write(randomBytes(64 * 1024), (Math.floor(Math.random() * (VOLUME / 65536)) * 65536) % VOLUME);
  await h.tick(1000);
}

describe('delta mode passes', () => {
  it('runs a pass early once host writes stay quiet for lowTrafficForMs', async () => {
    const h = await synced();
    await h.device.write(randomBytes(4096), 0);
    for (let s = 0; s < 4; s++) await h.tick(1000);
    expect(h.device.status().dirtyChunks).toBe(1);
    for (let s = 0; s < 3; s++) await h.tick(1000);
    expect(h.device.status().dirtyChunks).toBe(0);
    expect(h.device.status().lastPass!.chunks).toBe(1);
    await h.device.close();
  });

  it('while hosts write above the limit it waits for the interval', async () => {
    const h = await synced();
    const firstPassAt = h.device.status().lastPass!.at;
    for (let s = 0; s < 10; s++) await second(h, 1024 * 1024);
    expect(h.device.status().dirtyChunks).toBeGreaterThan(0);
    // No early pass while the hosts are busy.
    expect(h.device.status().lastPass!.at).toBe(firstPassAt);
    // The interval still applies under load.
    h.clock.now += 60_000;
    await second(h, 1024 * 1024);
    expect(h.device.status().lastPass!.at).toBeGreaterThan(firstPassAt);
    await h.device.close();
  });

  it('lowTrafficBytesPerSec 0 turns early passes off', async () => {
    const h = await synced({ lowTrafficBytesPerSec: 0 });
    await h.device.write(randomBytes(4096), 0);
    for (let s = 0; s < 20; s++) await h.tick(1000);
    expect(h.device.status().dirtyChunks).toBe(1);
    await h.device.close();
  });
});
