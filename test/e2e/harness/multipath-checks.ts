/**
 * What scenarios 15-17 read from the guest's dm-multipath and sg_rtpg outputs, and the
 * scenario log they leave: the ALUA states at each step, side by side.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { GuestRun } from './vm.js';

/** The access state sg_rtpg -d shows for target port group `group`, e.g. 'active/optimized'. */
export function rtpgState(text: string, group: number): string | undefined {
  const re = new RegExp(`target port group id : 0x${group.toString(16)} [\\s\\S]*?asymmetric access state : 0x[0-9a-f]+ \\(([^)]+)\\)`);
  return re.exec(text)?.[1];
}

/** Both groups' states as one node reports them. */
export function expectGroups(text: string, states: { 1: string; 2: string }, what: string): void {
  expect({ 1: rtpgState(text, 1), 2: rtpgState(text, 2) }, `${what}:\n${text}`).toEqual(states);
}

/** fio's JSON: total I/O errors and the bytes written, with fio's own text in the failure message. */
export function fioOutcome(g: GuestRun): { errors: number; writtenBytes: number; readBytes: number } {
  const text = g.out('fio.json');
  const start = text.indexOf('{');
  expect(start, `fio wrote no JSON:\n${g.out('fio.txt')}`).toBeGreaterThanOrEqual(0);
  const json = JSON.parse(text.slice(start)) as { jobs: Array<{ error: number; write: { io_bytes: number }; read: { io_bytes: number } }> };
  const job = json.jobs[0]!;
  return { errors: job.error, writtenBytes: job.write.io_bytes, readBytes: job.read.io_bytes };
}

/** Writes <dir>/alua.log: each named step's multipath -ll and sg_rtpg outputs. */
export function writeAluaLog(dir: string, g: GuestRun, steps: string[], disks: string[]): string {
  const parts: string[] = [];
  for (const s of steps) {
    parts.push(`==== ${s}: multipath -ll\n${g.out(`${s}-multipath-ll.txt`)}`);
    for (const d of disks) {
      const rtpg = g.out(`${s}-rtpg-${d}.txt`);
      if (rtpg) parts.push(`==== ${s}: sg_rtpg -d /dev/${d}\n${rtpg}`);
    }
  }
  const path = join(dir, 'alua.log');
  writeFileSync(path, parts.join('\n'));
  return path;
}
