/** Small process helpers shared by the target launchers and the VM runner. */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, existsSync } from 'node:fs';

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Creates `path` sparse with `size` bytes unless it already exists. */
export function ensureSparseFile(path: string, size: number): void {
  if (existsSync(path)) return;
  closeSync(openSync(path, 'w'));
  run('truncate', ['-s', String(size), path]);
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends `signal` and resolves once the process has exited (SIGKILL after 10 s). */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill(signal);
  });
}
