import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCpuPerWrite, type CpuPerWriteResult, type ProcessShare } from '../../tools/bench/cpu-per-write.js';
import { parseFloorLine } from '../../tools/bench/replication-floor.js';

const share = (cpuUs: number): ProcessShare => ({ cpuUs, userUs: cpuUs * 0.6, systemUs: cpuUs * 0.4, mainUs: cpuUs * 0.9, otherThreadsUs: cpuUs * 0.1, readCalls: 0.1, writeCalls: 1.1 });

const result: CpuPerWriteResult = {
  writes: 100_000,
  warm: 60_000,
  fua: false,
  cores: 2,
  rounds: [
    { setup: 'unreplicated', round: 1, iops: 150_000, hostUs: 5.5, primary: share(7) },
    { setup: 'async', round: 1, iops: 50_000, hostUs: 6, primary: share(18), backup: share(8) },
  ],
  floor: [
    { batch: 16, sendUs: 1.5, receiveUs: 2 },
    { batch: 256, sendUs: 0.75, receiveUs: 1.75 },
  ],
};

describe('formatCpuPerWrite', () => {
  it('prints each round per process, the floor per batch size, and the ceiling the best floor leaves', () => {
    const text = formatCpuPerWrite(result);
    expect(text).toContain('unreplicated round 1: 150000 IOPS, 12.5 µs of CPU a write (1.88 cores busy)');
    expect(text).toContain('async round 1: 50000 IOPS, 32.0 µs of CPU a write (1.60 cores busy)');
    expect(text).toContain('  backup 8.0 µs (user 4.8, kernel 3.2; main thread 7.2, others 0.8; 0.10 reads, 1.10 writes)');
    expect(text).toContain('floor, 16 blocks a send: send 1.50 µs + receive and pwrite 2.00 µs = 3.50 µs a write');
    // 2 cores / (12.5 + 2.5 µs) = 133,333 IOPS against 150,000.
    expect(text).toContain('ceiling, unreplicated round 1: 2 cores / (12.5 + 2.50 µs) = 133333 IOPS = 0.89 of its 150000');
  });

  it('says why the floor is missing when it could not be measured', () => {
    expect(formatCpuPerWrite({ ...result, floor: { skipped: 'no cc' } })).toContain('floor: skipped (no cc)');
    expect(formatCpuPerWrite({ ...result, floor: undefined })).not.toContain('floor');
  });
});

describe('parseFloorLine', () => {
  it('reads back what replication-floor.c prints', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e7 }), fc.integer({ min: 0, max: 1e7 }), (a, b) => {
        const line = `send ${(a / 1000).toFixed(3)} receive+pwrite ${(b / 1000).toFixed(3)} us per block\n`;
        expect(parseFloorLine(line)).toEqual({ sendUs: Number((a / 1000).toFixed(3)), receiveUs: Number((b / 1000).toFixed(3)) });
      }),
    );
  });

  it('refuses anything else, quoting it', () => {
    expect(() => parseFloorLine('usage: replication-floor FILE BLOCKS BATCH')).toThrow(/printed "usage/);
  });
});
