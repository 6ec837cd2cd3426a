/**
 * Which recovery points a retention policy keeps (`last=8,hourly=24,daily=14`): the newest
 * N; the newest point of each of the last H clock hours; the newest point of each of the
 * last D days (UTC); and always the points named as protected (the newest point both nodes
 * hold). Everything else is pruned. Pure: the clock is a parameter.
 */

export interface RetentionPolicy {
  last: number;
  hourly: number;
  daily: number;
}

export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = Object.freeze({ last: 8, hourly: 24, daily: 14 });

export interface PointTime {
  id: number;
  /** The primary's timestamp of the point, ms since the epoch. */
  at: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The ids to keep. */
export function retainedPoints(points: readonly PointTime[], policy: RetentionPolicy, now: number, protectedIds: ReadonlySet<number> = new Set()): Set<number> {
  // Newest by id, the order points were made in: a timestamp is the primary's clock, which
  // may have stepped back between two points (the newest would then look older and be pruned).
  const newestFirst = [...points].sort((a, b) => b.id - a.id);
  const keep = new Set<number>();
  for (const p of newestFirst.slice(0, policy.last)) keep.add(p.id);
  keepNewestPerBucket(newestFirst, HOUR, policy.hourly, now, keep);
  keepNewestPerBucket(newestFirst, DAY, policy.daily, now, keep);
  for (const p of points) if (protectedIds.has(p.id)) keep.add(p.id);
  return keep;
}

/** For each of the `count` buckets of `size` ms ending with the one holding `now`, the newest point (by id) stamped in it. */
function keepNewestPerBucket(newestFirst: readonly PointTime[], size: number, count: number, now: number, keep: Set<number>): void {
  if (count <= 0) return;
  const oldestBucket = Math.floor(now / size) - (count - 1);
  const seen = new Set<number>();
  for (const p of newestFirst) {
    const bucket = Math.floor(p.at / size);
    if (bucket < oldestBucket || bucket > Math.floor(now / size) || seen.has(bucket)) continue;
    seen.add(bucket);
    keep.add(p.id);
  }
}

/** `last=8,hourly=24,daily=14` (any subset, any order; absent keys are 0). RangeError says what is wrong; callers name the setting. */
export function parseRetention(text: string): RetentionPolicy {
  const policy: RetentionPolicy = { last: 0, hourly: 0, daily: 0 };
  const seen = new Set<string>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(last|hourly|daily)=(\d{1,6})$/.exec(part);
    if (!m) throw new RangeError(`"${part}" is not last=N, hourly=N or daily=N (e.g. last=8,hourly=24,daily=14)`);
    if (seen.has(m[1]!)) throw new RangeError(`${m[1]} given twice`);
    seen.add(m[1]!);
    policy[m[1] as keyof RetentionPolicy] = Number(m[2]);
  }
  if (policy.last + policy.hourly + policy.daily === 0) throw new RangeError('keeps nothing (at least one of last, hourly, daily must be positive)');
  return policy;
}

export function formatRetention(p: RetentionPolicy): string {
  return `last=${p.last},hourly=${p.hourly},daily=${p.daily}`;
}
