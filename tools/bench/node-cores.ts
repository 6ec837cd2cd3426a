/**
 * Where a replication bench's processes run. 'shared': every process (qemu-img, the primary
 * or unreplicated target, the backup) anywhere on the machine's cores, so the backup's work
 * is paid for from the same two cores as the host's and the primary's — a cost no deployment
 * has, its backup being another machine. 'separate': the backup alone on the last core,
 * everything else (the bench, the host, the primary or the unreplicated target, which all
 * inherit the bench's affinity) on the others, as two machines would be; the unreplicated
 * LUN then gets the same cores as the primary, so the ratio is the primary's own cost of
 * replicating. Linux `taskset`; `-a` takes every thread a process has, and the threads it
 * starts later inherit the affinity of the thread that starts them. Cores are taken to be
 * numbered 0..n-1 (a bench not confined to some of them).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export type NodeCores = 'shared' | 'separate';

function pin(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid}: ${(r.stderr || r.error?.message || '').trim()}`);
}

/** The CPUs a process may run on, as Linux lists them ("0-1"). */
export function allowedCpus(pid: number | 'self'): string {
  const m = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no Cpus_allowed_list in /proc/${pid}/status`);
  return m[1]!;
}

const cores = availableParallelism();
const last = String(cores - 1);
const rest = cores > 2 ? `0-${cores - 2}` : '0';

/**
 * Runs `fn` with the bench (so each process it starts) on every core but the last; `backup`
 * pins a backup there. 'shared' changes nothing. The bench's affinity is restored after.
 */
export async function withNodeCores<T>(mode: NodeCores, fn: (backup: (pid: number) => void) => Promise<T>): Promise<T> {
  if (mode === 'shared') return fn(() => undefined);
  if (cores < 2) throw new Error('separate cores for the backup need at least 2 cores');
  const before = allowedCpus('self');
  pin(process.pid, rest);
  try {
    return await fn((pid) => pin(pid, last));
  } finally {
    pin(process.pid, before);
  }
}
