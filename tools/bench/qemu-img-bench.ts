import { spawn } from 'node:child_process';

export interface Workload {
  name: string;
  blockSize: number;
  count: number;
  write: boolean;
  depth: number;
}

export interface WorkloadResult {
  seconds: number;
  iops: number;
  mbPerSecond: number;
}

/** One `qemu-img bench` run through libiscsi against an iscsi:// URL. */
export function runQemuImgBench(url: string, w: Workload): Promise<WorkloadResult> {
  const args = ['bench', '-f', 'raw', '-t', 'none', '-c', String(w.count), '-d', String(w.depth), '-s', String(w.blockSize), ...(w.write ? ['-w'] : []), url];
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
