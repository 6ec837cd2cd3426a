import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, autoTrip, linkHealthy, linkTrip, type ReplicationFigures } from '../../src/replication/switch-criteria.js';

const calm: ReplicationFigures = { linkUp: true, rttMs: 1, writeLatencyMs: 2, inflowBytesPerSec: 1e6, flushBytesPerSec: 1e6, journalFill: 0.1, redundancy: 1 };
const MiB = 1024 * 1024;

describe('switching criteria (defaults)', () => {
  const cases: [string, Partial<ReplicationFigures>, string | undefined][] = [
    ['calm', {}, undefined],
    ['link down', { linkUp: false }, 'link-failed'],
    ['rtt above 250 ms', { rttMs: 251 }, 'rtt-high'],
    ['rtt at the limit', { rttMs: 250 }, undefined],
    ['write latency above 1 s', { writeLatencyMs: 1001 }, 'write-latency-high'],
    ['journal 91% full', { journalFill: 0.91 }, 'journal-nearly-full'],
    ['journal 90% full', { journalFill: 0.9 }, undefined],
    ['inflow beats flush by 65 MiB/s', { inflowBytesPerSec: 70 * MiB, flushBytesPerSec: 5 * MiB }, 'journal-overflow-risk'],
    ['inflow beats flush by 63 MiB/s', { inflowBytesPerSec: 68 * MiB, flushBytesPerSec: 5 * MiB }, undefined],
    ['redundancy 3.01', { redundancy: 3.01 }, 'journal-redundant'],
    ['redundancy 3', { redundancy: 3 }, undefined],
    ['link down wins over a full journal', { linkUp: false, journalFill: 0.99 }, 'link-failed'],
  ];
  for (const [name, change, expected] of cases) {
    it(`${name} → ${expected ?? 'stay'}`, () => {
      expect(autoTrip({ ...calm, ...change }, DEFAULT_THRESHOLDS)).toBe(expected);
    });
  }

  it('plain continuous mode reacts to the link only', () => {
    expect(linkTrip({ ...calm, redundancy: 10, journalFill: 0.99 }, DEFAULT_THRESHOLDS)).toBeUndefined();
    expect(linkTrip({ ...calm, linkUp: false }, DEFAULT_THRESHOLDS)).toBe('link-failed');
  });

  it('thresholds are configurable', () => {
    expect(autoTrip({ ...calm, redundancy: 2 }, { ...DEFAULT_THRESHOLDS, maxRedundancy: 1.5 })).toBe('journal-redundant');
    expect(linkHealthy({ ...calm, rttMs: 20 }, { ...DEFAULT_THRESHOLDS, maxRttMs: 10 })).toBe(false);
  });
});
