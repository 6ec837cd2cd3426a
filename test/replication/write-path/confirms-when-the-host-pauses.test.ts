/**
 * Asynchronous mirroring's idle confirmation (one flush of each image) comes once the host
 * has paused for the idle interval with nothing left to send — not whenever a steady
 * stream the shipper keeps up with leaves the queue empty for a moment, which flushed
 * both images every 100 ms under load. The wall clock is driven by hand (fake `Date`), so
 * the gaps between writes are exactly what the test says whatever the machine's load.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Harness } from '../device-harness.js';
import { frozenAsyncPrimary, thawAndQuiesce } from './frozen-primary.js';

const B = 4096;
/** The engine's idle interval (an engine with its own tick timer). */
const IDLE_MS = 100;

const flushes = (h: Harness): number => h.link.trace.filter((t) => t === 'flush').length;

/** Waits (real time) until the backup got a write of `offset`. */
async function shipped(h: Harness, offset: number): Promise<void> {
  const sent = (): boolean => h.link.trace.some((t) => (t.startsWith('write ') || t.startsWith('scattered ')) && t.split(/[ ,]/).includes(String(offset)));
  for (let i = 0; i < 1000 && !sent(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(sent()).toBe(true);
}

describe('shipper: the idle confirmation', () => {
  afterEach(() => vi.useRealTimers());

  it('does not come between the writes of a steady stream, and comes once the host pauses', async () => {
    const h = await frozenAsyncPrimary();
    const before = flushes(h);

    // Ten writes 60 ms apart: 600 ms of writing, each shipped before the next arrives.
    for (let i = 1; i <= 10; i++) {
      vi.setSystemTime(Date.now() + 60);
      await h.device.write(Buffer.alloc(B, i + 1), i * B);
      await shipped(h, i * B);
      // The idle timer (real time) gets its chance to fire between two writes.
      await new Promise((r) => setTimeout(r, IDLE_MS + 20));
    }
    expect(flushes(h)).toBe(before);
    expect(h.device.status().journal.entries).toBe(10);

    // The host pauses for longer than the interval: confirmed without another write.
    vi.setSystemTime(Date.now() + IDLE_MS + 50);
    for (let i = 0; i < 400 && h.device.status().journal.entries > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(h.device.status().journal.entries).toBe(0);
    expect(flushes(h)).toBe(before + 1);
    await thawAndQuiesce(h);
    await h.device.close();
  });
});
