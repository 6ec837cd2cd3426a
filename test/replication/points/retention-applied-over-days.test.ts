/**
 * applyRetention over simulated days (the clock injected): a point every 30 minutes,
 * retention after each, `last=8,hourly=24,daily=14` with the newest point both nodes hold
 * protected. After every application the store lists exactly what the policy keeps of what
 * it listed, the pruned ids are returned oldest first, and the points kept still read as
 * they were taken.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { PointStore } from '../../../src/replication/points/point-store.js';
import { DEFAULT_RETENTION, retainedPoints } from '../../../src/replication/points/retention.js';
import { PowerLossFiles } from '../../support/power-loss-files.js';
import { patterned, prng, silentLogger } from './point-harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SIZE = 64 * 1024;
const T0 = Date.UTC(2026, 10, 1);

describe('retention applied as time passes', () => {
  it('keeps exactly what the policy says after each point of 16 simulated days', async () => {
    const image = new MemoryBlockStore({ size: SIZE });
    const points = await PointStore.open({ dir: '/lun.tandem', image, files: new PowerLossFiles(), granularity: 4096, logger: silentLogger });
    const rng = prng(42);
    const taken = new Map<number, Buffer>();
    let id = 0;
    let protectedId = 0;
    for (let t = T0; t < T0 + 16 * DAY; t += 30 * MINUTE) {
      const data = patterned(rng, 4096);
      const off = 4096 * Math.floor(rng() * (SIZE / 4096));
      await points.beforeOverwrite(off, data.length);
      await image.write(data, off);
      await points.take({ id: ++id, at: t, origin: 'scheduled' });
      if (id % 10 === 0) {
        const copy = Buffer.alloc(SIZE);
        await image.read(copy, 0);
        taken.set(id, copy);
      }
      // The peer confirms a point about an hour behind.
      if (id % 2 === 0) protectedId = Math.max(1, id - 2);
      const now = t + 5 * MINUTE;
      const before = points.list();
      const keep = retainedPoints(before, DEFAULT_RETENTION, now, new Set([protectedId]));
      const pruned = await points.applyRetention(DEFAULT_RETENTION, now, (p) => p === protectedId);
      expect(pruned).toEqual(before.filter((p) => !keep.has(p.id)).map((p) => p.id));
      expect(points.list().map((p) => p.id)).toEqual(before.filter((p) => keep.has(p.id)).map((p) => p.id));
    }
    const now = T0 + 16 * DAY - 10 * MINUTE;
    const kept = points.list();
    // The policy's count: 8 newest, one per hour for 24 hours (the current hour's is among the 8), one per day for 14 days, and the protected one.
    const at = kept.map((p) => new Date(p.at).toISOString().slice(5, 16));
    expect(kept.length).toBeLessThanOrEqual(8 + 24 + 14 + 1);
    expect(at.slice(-8)).toEqual(['11-16T20:00', '11-16T20:30', '11-16T21:00', '11-16T21:30', '11-16T22:00', '11-16T22:30', '11-16T23:00', '11-16T23:30']);
    // One per day for the 13 days before today (today's newest is among the last 8): the 23:30 point of each.
    for (let d = 3; d <= 15; d++) expect(at).toContain(`11-${String(d).padStart(2, '0')}T23:30`);
    expect(at).not.toContain('11-02T23:30');
    // One per hour for the last 24 hours.
    for (let h = 0; h < 24; h++) {
      const hour = new Date(now - h * HOUR).toISOString().slice(5, 13);
      expect(at.some((x) => x.startsWith(hour))).toBe(true);
    }
    expect(kept.map((p) => p.id)).toContain(protectedId);
    expect(retainedPoints(kept, DEFAULT_RETENTION, now, new Set([protectedId])).size).toBe(kept.length);
    // What is kept still reads as it was taken.
    for (const [pid, want] of taken) {
      if (!kept.some((p) => p.id === pid)) continue;
      const got = Buffer.alloc(SIZE);
      await points.read(pid, got, 0);
      expect(got.equals(want), `point ${pid}`).toBe(true);
    }
    await points.close();
  });
});
