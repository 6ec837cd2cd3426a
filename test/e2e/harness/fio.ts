import { expect } from 'vitest';
import type { GuestRun } from './vm.js';

/** The numbers we quote from fio's JSON output. */
export interface FioJobSummary {
  name: string;
  error: number;
  writeIops: number;
  writeMBps: number;
  writeBytes: number;
  readIops: number;
  readMBps: number;
  readBytes: number;
}

interface FioDirection {
  iops?: number;
  bw_bytes?: number;
  io_bytes?: number;
}
interface FioJob {
  jobname?: string;
  error?: number;
  read?: FioDirection;
  write?: FioDirection;
}

/** fio may print notes before the JSON document; parse from the first brace. */
export function parseFioJson(text: string): FioJobSummary[] {
  const start = text.indexOf('{');
  if (start < 0) throw new Error(`no fio JSON output: ${text.slice(0, 200)}`);
  const doc = JSON.parse(text.slice(start)) as { jobs?: FioJob[] };
  if (!Array.isArray(doc.jobs)) throw new Error('fio JSON has no jobs');
  const mb = (d?: FioDirection): number => (d?.bw_bytes ?? 0) / 1e6;
  return doc.jobs.map((j) => ({
    name: j.jobname ?? '',
    error: j.error ?? 0,
    writeIops: j.write?.iops ?? 0,
    writeMBps: mb(j.write),
    writeBytes: j.write?.io_bytes ?? 0,
    readIops: j.read?.iops ?? 0,
    readMBps: mb(j.read),
    readBytes: j.read?.io_bytes ?? 0,
  }));
}

/** What lib.sh's start_/end_verified_writes left: every write completed and every block of `bytes` verified. */
export function expectVerifiedWrites(g: GuestRun, bytes: number): void {
  expect(g.results.int('write_rc'), g.out('fio-write.txt')).toBe(0);
  const written = parseFioJson(g.out('fio-write.json'));
  expect(written[0]!.error).toBe(0);
  expect(written[0]!.writeBytes).toBe(bytes);
  expect(g.results.int('verify_rc'), g.out('fio-verify.txt')).toBe(0);
  const verified = parseFioJson(g.out('fio-verify.json'));
  expect(verified[0]!.error).toBe(0);
  expect(verified[0]!.readBytes).toBe(bytes);
}
