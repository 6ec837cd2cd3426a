/** Retention keeps exactly what the policy says, over a simulated day and for random histories. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRetention, parseRetention, retainedPoints, type PointTime } from '../../../src/replication/points/retention.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 30, 0, 0, 0);

describe('retention policy', () => {
  it('over a simulated day of points every 15 minutes keeps the last 8, one per hour for 6 hours, one per day for 2 days', () => {
    const points: PointTime[] = [];
    let id = 0;
    // Yesterday afternoon and today until 23:45.
    for (let t = T0 - 10 * HOUR; t < T0 + DAY; t += 15 * 60_000) points.push({ id: ++id, at: t });
    const now = T0 + DAY - 60_000; // 23:59 today
    const keep = retainedPoints(points, { last: 8, hourly: 6, daily: 2 }, now);
    const kept = points.filter((p) => keep.has(p.id)).map((p) => new Date(p.at).toISOString().slice(0, 16));
    expect(kept).toEqual([
      // The newest point of yesterday (daily bucket 2).
      '2026-11-29T23:45',
      // Hourly: the newest point of each hour 18:00-23:00 (22:45 and 23:45 are among the last 8 too).
      '2026-11-30T18:45',
      '2026-11-30T19:45',
      '2026-11-30T20:45',
      '2026-11-30T21:45',
      // The last 8: 22:00 through 23:45.
      '2026-11-30T22:00',
      '2026-11-30T22:15',
      '2026-11-30T22:30',
      '2026-11-30T22:45',
      '2026-11-30T23:00',
      '2026-11-30T23:15',
      '2026-11-30T23:30',
      '2026-11-30T23:45',
    ]);
  });

  it('always keeps a protected point and never more than the policy allows besides it', () => {
    const point = fc.record({ id: fc.integer({ min: 1, max: 10_000 }), at: fc.integer({ min: T0 - 30 * DAY, max: T0 }) });
    fc.assert(
      fc.property(
        fc.uniqueArray(point, { selector: (p) => p.id, maxLength: 80 }),
        fc.record({ last: fc.integer({ min: 0, max: 10 }), hourly: fc.integer({ min: 0, max: 30 }), daily: fc.integer({ min: 0, max: 20 }) }),
        fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
        (points, policy, protectedId) => {
          const keep = retainedPoints(points, policy, T0, new Set(protectedId === undefined ? [] : [protectedId]));
          for (const id of keep) expect(points.some((p) => p.id === id)).toBe(true);
          if (protectedId !== undefined && points.some((p) => p.id === protectedId)) expect(keep.has(protectedId)).toBe(true);
          const bound = policy.last + policy.hourly + policy.daily + (protectedId === undefined ? 0 : 1);
          expect(keep.size).toBeLessThanOrEqual(bound);
          // The newest `last` points (by id: the order they were made in) are always kept.
          const newest = [...points].sort((a, b) => b.id - a.id).slice(0, policy.last);
          for (const p of newest) expect(keep.has(p.id)).toBe(true);
        },
      ),
    );
  });

  it("last=N keeps the N points made last, by id, when the primary's clock stepped back between them", () => {
    // Points 1-3 stamped an hour ahead, then the clock was set back: 4 and 5 are newer all the same.
    const points = [
      { id: 1, at: T0 + HOUR - 3000 },
      { id: 2, at: T0 + HOUR - 2000 },
      { id: 3, at: T0 + HOUR - 1000 },
      { id: 4, at: T0 - 2000 },
      { id: 5, at: T0 - 1000 },
    ];
    expect([...retainedPoints(points, { last: 2, hourly: 0, daily: 0 }, T0)].sort()).toEqual([4, 5]);
  });

  it('reads and writes the policy text; refuses with one line what it cannot read', () => {
    expect(parseRetention('last=8,hourly=24,daily=14')).toEqual({ last: 8, hourly: 24, daily: 14 });
    expect(parseRetention('daily=7')).toEqual({ last: 0, hourly: 0, daily: 7 });
    expect(formatRetention(parseRetention(' hourly=2 , last=1'))).toBe('last=1,hourly=2,daily=0');
    for (const bad of ['', 'last=8,last=9', 'weekly=4', 'last=-1', 'last=0', 'last=8;daily=1']) expect(() => parseRetention(bad)).toThrow(RangeError);
  });
});
