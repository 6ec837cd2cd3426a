import { describe, expect, it } from 'vitest';
import { formatReplicationBench, type ReplicationBenchResult } from '../../tools/bench/replication-bench.js';

const result: ReplicationBenchResult = {
  nodeCores: 'shared',
  points: { workload: '4 KiB write, scattered', withoutIops: 12000, withIops: 11800, ratio: 0.98, points: 6, heldMsMedian: 0.12, heldMsMax: 0.9 },
  writes: 1000,
  sizeBytes: 64 * 1024 * 1024,
  workloads: [
    { name: '4 KiB write, scattered', unreplicatedIops: 20000, syncIops: 5000, asyncIops: 12000, syncRatio: 0.25, asyncRatio: 0.6, asyncBacklogSeconds: 0.04 },
    { name: '4 KiB FUA write, scattered', unreplicatedIops: 3000, syncIops: 1500, asyncIops: 2700, syncRatio: 0.5, asyncRatio: 0.9, asyncBacklogSeconds: 1.1 },
  ],
  switches: [],
  delta: { chunkSize: 65536, distinctChunks: 8, hostWrites: 128, hostBytes: 524288, passBytes: 524288, wireBytes: 525000, expectedBytes: 524288, wireRatio: 1.001 },
};

describe('formatReplicationBench', () => {
  it('prints, per workload, both flavours with their ratios against the unreplicated LUN, and the delta wire ratio', () => {
    const text = formatReplicationBench(result);
    expect(text).toMatch(/4 KiB write, scattered\s+20000\s+5000 0\.25\s+12000 0\.60\s+0\.04 s/);
    expect(text).toMatch(/4 KiB FUA write, scattered\s+3000\s+1500 0\.50\s+2700 0\.90\s+1\.10 s/);
    expect(text).toContain('8 distinct chunks of 64 KiB dirtied by 128 host writes');
    expect(text).toContain('on the wire 525000 bytes (payload 524288) vs 524288 = chunks x chunk size: ratio 1.001');
    expect(text).not.toContain('mode switches');
    expect(text).toContain('recovery points, async, 4 KiB write, scattered: pointInterval 1s 11800 IOPS vs none 12000: ratio 0.98');
    expect(text).toContain('6 points; host writes held 0.12 ms median, 0.9 ms max');
  });

  it('says where the processes ran', () => {
    expect(formatReplicationBench(result)).toContain('host, target or primary, and backup sharing all cores');
    expect(formatReplicationBench({ ...result, nodeCores: 'separate' })).toContain('the backup alone on a core of its own, the host and the target or primary on the others');
  });

  it('names any mode switch seen during a continuous run', () => {
    expect(formatReplicationBench({ ...result, switches: ['async: continuous -> delta (journal-full)'] })).toContain('mode switches during the runs: async: continuous -> delta (journal-full)');
  });
});
