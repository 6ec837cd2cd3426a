/**
 * A process's CPU time and system calls as Linux accounts them (/proc/PID/stat, /proc/PID/io,
 * /proc/PID/task/*): what the CPU-per-write bench reads before and after a run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export interface ProcStat {
  /** Seconds on the CPU in user mode and in the kernel. */
  userSeconds: number;
  systemSeconds: number;
  /** The same for waited-for children (a shell's, once its command ended). */
  childUserSeconds: number;
  childSystemSeconds: number;
}

/** Clock ticks a second (USER_HZ), the unit of /proc/PID/stat's times. */
export const CLOCK_TICKS = ((): number => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

/**
 * Parses one /proc/PID/stat line (proc(5)). The command name sits in parentheses and may
 * itself hold spaces and parentheses: the fields start after the last ')'.
 */
export function parseProcStat(line: string, ticks = CLOCK_TICKS): ProcStat {
  const close = line.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/PID/stat line: no command name');
  // Fields from 3 (state) on; proc(5) numbers them from 1.
  const f = line.slice(close + 2).trim().split(' ');
  if (f.length < 15) throw new Error(`not a /proc/PID/stat line: ${f.length + 2} fields`);
  const field = (n: number): number => {
    const v = Number(f[n - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc/PID/stat field ${n} is not a number: ${f[n - 3]}`);
    return v;
  };
  return {
    userSeconds: field(14) / ticks,
    systemSeconds: field(15) / ticks,
    childUserSeconds: field(16) / ticks,
    childSystemSeconds: field(17) / ticks,
  };
}

export function procStat(pid: number): ProcStat {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** CPU seconds of the process's main thread, and of all its other threads (a Node process: V8's and libuv's). */
export function threadSplit(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let s: ProcStat;
    try {
      s = parseProcStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    } catch {
      continue; // the thread ended meanwhile
    }
    if (Number(tid) === pid) main += s.userSeconds + s.systemSeconds;
    else others += s.userSeconds + s.systemSeconds;
  }
  return { main, others };
}

/** read- and write-family system calls so far (/proc/PID/io syscr, syscw). */
export function syscallCounts(pid: number): { reads: number; writes: number } {
  const text = readFileSync(`/proc/${pid}/io`, 'utf8');
  const get = (key: string): number => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { reads: get('syscr'), writes: get('syscw') };
}
