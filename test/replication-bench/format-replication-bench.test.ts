import { describe, expect, it } from 'vitest';
import { formatReplicationBench, type ReplicationBenchResult } from '../../tools/bench/replication-bench.js';

const result: ReplicationBenchResult = {
  writes: 1000,
  sizeBytes: 64 * 1024 * 1024,
  unreplicatedIops: 20000,
  syncIops: 5000,
  asyncIops: 12000,
  syncRatio: 0.25,
  asyncRatio: 0.6,
  switches: [],
  delta: { chunkSize: 65536, distinctChunks: 8, hostWrites: 128, hostBytes: 524288, passBytes: 524288, wireBytes: 525000, expectedBytes: 524288, wireRatio: 1.001 },
};

describe('formatReplicationBench', () => {
  it('prints both ratios against the unreplicated LUN and the delta wire ratio', () => {
    const text = formatReplicationBench(result);
    expect(text).toMatch(/unreplicated\s+20000 IOPS\s+1\.00/);
    expect(text).toMatch(/sync\s+5000 IOPS\s+0\.25/);
    expect(text).toMatch(/async\s+12000 IOPS\s+0\.60/);
    expect(text).toContain('8 distinct chunks of 64 KiB dirtied by 128 host writes');
    expect(text).toContain('on the wire 525000 bytes (payload 524288) vs 524288 = chunks x chunk size: ratio 1.001');
    expect(text).not.toContain('mode switches');
  });

  it('names any mode switch seen during a continuous run', () => {
    expect(formatReplicationBench({ ...result, switches: ['async: continuous -> delta (journal-full)'] })).toContain('mode switches during the runs: async: continuous -> delta (journal-full)');
  });
});
