/** A ReplicatedDevice over a memory store and a FakeLink, driven by a fake clock. */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { ReplicatedDevice, type ReplicatedDeviceOptions } from '../../src/replication/replicated-device.js';
import { FakeLink } from './fake-link.js';

export const VOLUME = 1024 * 1024;

export interface Harness {
  device: ReplicatedDevice;
  local: MemoryBlockStore;
  link: FakeLink;
  clock: { now: number };
  /** Advance the fake clock and run one tick. */
  tick(advanceMs?: number): Promise<void>;
}

export async function openHarness(metaDir: string, options: Partial<ReplicatedDeviceOptions> = {}, reuse?: { local: MemoryBlockStore; link: FakeLink }): Promise<Harness> {
  const local = reuse?.local ?? new MemoryBlockStore({ size: VOLUME, path: 'primary' });
  const link = reuse?.link ?? new FakeLink(VOLUME);
  const clock = { now: 1_000_000 };
  const device = await ReplicatedDevice.open({
    local,
    link,
    metaDir,
    tickMs: 0,
    clock: () => clock.now,
    thresholds: { healthyForMs: 1000 },
    ...options,
  });
  return {
    device,
    local,
    link,
    clock,
    async tick(advanceMs = 0) {
      clock.now += advanceMs;
      await device.tick();
    },
  };
}

/** Ticks until the device is in continuous state (the first sync of a fresh replica). */
export async function reachContinuous(h: Harness): Promise<void> {
  for (let i = 0; i < 5 && h.device.status().state !== 'continuous'; i++) await h.tick(2000);
  expect(h.device.status().state).toBe('continuous');
}

export async function randomWrites(device: ReplicatedDevice, count: number, concurrency = 8): Promise<void> {
  for (let done = 0; done < count; done += concurrency) {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count - done) }, () => {
        const blocks = 1 + Math.floor(Math.random() * 16);
        const lba = Math.floor(Math.random() * (VOLUME / 512 - blocks));
        return device.write(randomBytes(blocks * 512), lba * 512);
      }),
    );
  }
}

export async function expectIdentical(h: Harness): Promise<void> {
  const [a, b] = await Promise.all([h.local.sha256(0, VOLUME), h.link.backup.sha256(0, VOLUME)]);
  expect(b.toString('hex')).toBe(a.toString('hex'));
}

/**
 * Waits until the async journal is empty: the flusher's real I/O (journal reads, fsyncs)
 * takes what it takes on a loaded machine, so the bound is generous, only there to end a hang.
 */
export async function quiesce(h: Harness, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (h.device.status().journal.entries > 0 && Date.now() < deadline) {
    await h.tick();
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(h.device.status().journal.entries).toBe(0);
}
