import { describe, expect, it } from 'vitest';
import { parseFioJson } from './harness/fio.js';

describe('fio JSON summary', () => {
  it('reads IOPS, bandwidth and bytes per job, skipping notes before the JSON', () => {
    const doc = {
      jobs: [{ jobname: 'rand-4k', error: 0, write: { iops: 100.5, bw_bytes: 2_000_000, io_bytes: 4096 }, read: { iops: 7, bw_bytes: 0, io_bytes: 0 } }],
    };
    const [job] = parseFioJson(`fio: note: something\n${JSON.stringify(doc)}`);
    expect(job).toEqual({ name: 'rand-4k', error: 0, writeIops: 100.5, writeMBps: 2, writeBytes: 4096, readIops: 7, readMBps: 0, readBytes: 0 });
  });

  it('fails clearly on output that is not fio JSON', () => {
    expect(() => parseFioJson('fio: verify failed')).toThrow(/no fio JSON/);
    expect(() => parseFioJson('{"x": 1}')).toThrow(/no jobs/);
  });
});
