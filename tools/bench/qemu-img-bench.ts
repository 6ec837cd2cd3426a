import { spawn } from 'node:child_process';

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
}

/** One `qemu-img bench` run through libiscsi against an iscsi:// URL. */
export function runQemuImgBench(url: string, w: Workload): Promise<WorkloadResult> {
  const args = [
    'bench', '-f', 'raw', '-t', w.cache ?? 'none', '-c', String(w.count), '-d', String(w.depth), '-s', String(w.blockSize),
    ...(w.step !== undefined ? ['-S', String(w.step)] : []),
    ...(w.write ? ['-w'] : []),
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-img', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /Run completed in ([\d.]+) seconds/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`qemu-img ${args.join(' ')} failed (${code}): ${out.trim()}`));
      const seconds = Number(m[1]);
      resolve({ seconds, iops: w.count / seconds, mbPerSecond: (w.count * w.blockSize) / seconds / 1e6 });
    });
  });
}

const WARM_UP_FRACTION = 0.2;

/**
 * Runs every workload once untimed at a fifth of its count against a freshly started target:
 * Tandem's JIT compiles its hot paths during a new process's first seconds (4 KiB RBD reads
 * measured cold took ~20% more CPU per read, and a round of 20,000 writes lasts about a
 * second), and a gateway in service runs warm. Every target a comparison measures gets it.
 */
export async function warmUp(url: string, workloads: readonly Workload[]): Promise<void> {
  for (const w of workloads) await runQemuImgBench(url, { ...w, count: Math.max(w.depth * 4, Math.round(w.count * WARM_UP_FRACTION)) });
}
