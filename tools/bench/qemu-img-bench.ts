import { spawn } from 'node:child_process';
import { parseProcStat } from './proc-usage.js';

export interface Workload {
  name: string;
  blockSize: number;
  count: number;
  write: boolean;
  depth: number;
  /** Bytes between consecutive requests' offsets (`-S`; default the block size: sequential). qemu-img wraps at the image's end. */
  step?: number;
  /** `writethrough` makes every write FUA (`-t writethrough`); default `none` (write cache on, no FUA). */
  cache?: 'none' | 'writethrough';
}

export interface WorkloadResult {
  seconds: number;
  iops: number;
  mbPerSecond: number;
  /** qemu-img's own CPU time (user + kernel), when asked for. */
  cpuSeconds?: number;
}

/**
 * qemu-img under a shell that prints its own /proc stat once qemu-img has ended: the
 * children's times there are exactly qemu-img's.
 */
const WITH_CPU_TIME = 'qemu-img "$@"; rc=$?; cat /proc/$$/stat >&2; exit $rc';

/** One `qemu-img bench` run through libiscsi against an iscsi:// URL; `cpu`: also measure qemu-img's CPU time. */
export function runQemuImgBench(url: string, w: Workload, cpu = false): Promise<WorkloadResult> {
  const args = [
    'bench', '-f', 'raw', '-t', w.cache ?? 'none', '-c', String(w.count), '-d', String(w.depth), '-s', String(w.blockSize),
    ...(w.step !== undefined ? ['-S', String(w.step)] : []),
    ...(w.write ? ['-w'] : []),
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = cpu ? spawn('sh', ['-c', WITH_CPU_TIME, 'sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('qemu-img', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /Run completed in ([\d.]+) seconds/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`qemu-img ${args.join(' ')} failed (${code}): ${(out + err).trim()}`));
      const seconds = Number(m[1]);
      const result: WorkloadResult = { seconds, iops: w.count / seconds, mbPerSecond: (w.count * w.blockSize) / seconds / 1e6 };
      if (cpu) {
        const shell = parseProcStat(err.trim().split('\n').pop()!);
        result.cpuSeconds = shell.childUserSeconds + shell.childSystemSeconds;
      }
      resolve(result);
    });
  });
}

const WARM_UP_FRACTION = 0.2;

/**
 * Runs every workload untimed against a freshly started target, at a fifth of its count,
 * or `opsPerWorkload` requests when that is more: Tandem's JIT compiles its hot paths
 * during a new process's first seconds (4 KiB RBD reads measured cold took ~20% more CPU
 * per read), and a gateway in service runs warm. A replicating primary has more code on
 * its write path and needs more: after 4,000 writes per workload it was still compiling
 * through the measured run (see docs/performance.md). Every target a comparison measures
 * gets the same warm-up. `between` runs after each untimed run (a mirror's queue drains).
 */
export async function warmUp(
  url: string,
  workloads: readonly Workload[],
  opsPerWorkload = 0,
  between: () => Promise<void> = async () => undefined,
): Promise<void> {
  for (const w of workloads) {
    let left = Math.max(w.depth * 4, Math.round(w.count * WARM_UP_FRACTION), opsPerWorkload);
    // In runs of the workload's own count at most: a mirror's queue is sized for one run.
    while (left > 0) {
      const count = Math.min(left, w.count);
      await runQemuImgBench(url, { ...w, count });
      await between();
      left -= count;
    }
  }
}
