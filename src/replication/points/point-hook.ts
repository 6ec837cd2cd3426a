/**
 * `--point-hook CMD`: a command run just before a recovery point's instant is fixed and
 * just after (e.g. `fsfreeze -f` / `fsfreeze -u` on the host, a database's backup mode),
 * so a point can be application-consistent. It runs through `sh -c` with the point in its
 * environment, and each run is bounded: a hook that hangs would hold the application
 * frozen, so it is killed at the deadline and counts as failed.
 */
import { spawn } from 'node:child_process';

export type PointHookPhase = 'before' | 'after';

export interface PointHookContext {
  id: number;
  origin: string;
  label?: string;
  /** The target (consistency group) the point is of. */
  target: string;
}

export type PointHook = (phase: PointHookPhase, point: PointHookContext) => Promise<void>;

export const DEFAULT_POINT_HOOK_TIMEOUT_MS = 30_000;

/** What a hook's failure says: the phase, the exit status or signal, and the end of its stderr. */
export class PointHookError extends Error {
  constructor(phase: PointHookPhase, why: string) {
    super(`point hook (${phase}) ${why}`);
    this.name = 'PointHookError';
  }
}

/** Keeps the end of stderr only: a chatty hook cannot grow memory without bound. */
const STDERR_KEPT = 2048;

export function commandPointHook(command: string, timeoutMs = DEFAULT_POINT_HOOK_TIMEOUT_MS): PointHook {
  return (phase, point) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], {
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
        env: {
          ...process.env,
          TANDEM_POINT_PHASE: phase,
          TANDEM_POINT_ID: String(point.id),
          TANDEM_POINT_ORIGIN: point.origin,
          TANDEM_POINT_LABEL: point.label ?? '',
          TANDEM_TARGET: point.target,
        },
      });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => {
        stderr = (stderr + s).slice(-STDERR_KEPT);
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // The whole process group: a shell's children would otherwise outlive it.
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new PointHookError(phase, `could not run: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const tail = stderr.trim().split('\n').pop() ?? '';
        const detail = tail ? `: ${tail}` : '';
        if (timedOut) reject(new PointHookError(phase, `did not finish within ${timeoutMs} ms`));
        else if (code === 0) resolve();
        else reject(new PointHookError(phase, `${code !== null ? `exited with status ${code}` : `was killed by ${signal}`}${detail}`));
      });
    });
}
