/**
 * What the send queue still has to send is what counts, not the changes the backup already
 * has, which only await their confirmation (seconds later under load, see
 * confirms-on-demand): neither auto mode's journal criteria (the queue's fill, the
 * redundancy) nor the recovery point's age count them. The wall clock is frozen, so no
 * confirmation comes meanwhile.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { frozenAsyncPrimary, thawAndQuiesce } from './frozen-primary.js';

const B = 4096;

async function until(done: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('auto mode: journal criteria count what is left to send', () => {
  afterEach(() => vi.useRealTimers());

  it('changes shipped and awaiting confirmation do not fill the queue', async () => {
    const h = await frozenAsyncPrimary({ mode: 'auto',  queueMemory: 64 * 1024, journalCapacity: 128 * 1024, thresholds: { healthyForMs: 1000, maxJournalFill: 0.4 } });
    // 96 KiB, half the queue's capacity, each change shipped before the next is written.
    for (let i = 0; i < 24; i++) {
      await h.device.write(Buffer.alloc(B, i + 2), i * B);
      await until(() => h.device.status().figures.journalFill === 0, 50);
    }
    await h.tick();
    expect(h.device.status()).toMatchObject({ state: 'continuous', journal: { entries: 24 } });
    await thawAndQuiesce(h);
    await h.device.close();
  });

  it('rewrites the backup already has do not count as redundant', async () => {
    const h = await frozenAsyncPrimary({ mode: 'auto',  thresholds: { healthyForMs: 1000, maxRedundancy: 3 } });
    // 64 rewrites of 4 KiB within one 64 KiB chunk: four times the chunk, were they all still to send.
    for (let i = 0; i < 64; i++) await h.device.write(Buffer.alloc(B, i + 2), (i % 16) * B);
    await until(() => h.device.status().figures.redundancy === 0);
    await h.tick();
    expect(h.device.status()).toMatchObject({ state: 'continuous', journal: { entries: 64 } });
    await thawAndQuiesce(h);
    await h.device.close();
  });
});

describe('async mirroring: the recovery point age', () => {
  afterEach(() => vi.useRealTimers());

  it('counts from the oldest change not yet shipped, not from one awaiting its confirmation', async () => {
    const h = await frozenAsyncPrimary({ mode: 'auto' });
    await h.device.write(Buffer.alloc(B, 2), B);
    await until(() => h.device.status().figures.journalFill === 0);
    h.clock.now += 10_000;
    expect(h.device.status()).toMatchObject({ state: 'continuous', journal: { entries: 1 }, recoveryPointAgeMs: 0 });
    // A change not shipped yet (the backup holds it back) counts.
    const release = h.link.hold();
    await h.device.write(Buffer.alloc(B, 3), 2 * B);
    h.clock.now += 3_000;
    expect(h.device.status().recoveryPointAgeMs).toBe(3_000);
    release();
    await thawAndQuiesce(h);
    await h.device.close();
  });
});
