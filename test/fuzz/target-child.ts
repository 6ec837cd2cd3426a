/**
 * The Tandem target under fuzz, as a child process: a crash shows up as an exit, and
 * its resident memory can be read from /proc while it runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../../tools/harness/ports.js';
import { SERVE_NODE_OPTIONS } from '../../src/cli/node-options.js';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_PATH = join(packageRoot, 'dist', 'cli', 'main.js');

export interface TargetChild {
  host: string;
  port: number;
  iqn: string;
  pid: number;
  logFile: string;
  /** Exit code or signal once it has exited, else undefined. */
  exited(): string | undefined;
  /** VmRSS in bytes, or undefined if the process is gone. */
  rssBytes(): number | undefined;
  stop(): Promise<void>;
}

export interface TargetChildSpec {
  iqn: string;
  /** Backing files, one LUN each in order; created sparse at `lunSize`. */
  images: readonly string[];
  lunSize: string;
  logFile: string;
}

export function readRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function startTargetChild(spec: TargetChildSpec): Promise<TargetChild> {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run "npm run build" first`);
  const host = '127.0.0.1';
  const port = await freePort(host);
  const out = openSync(spec.logFile, 'a');
  const args = [...SERVE_NODE_OPTIONS, CLI_PATH, 'serve', '--listen', `${host}:${port}`, '--iqn', spec.iqn, '--log-level', 'warn'];
  for (const image of spec.images) args.push('--lun', `${image},size=${spec.lunSize}`);
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = (): string | undefined =>
    child.exitCode !== null ? `exit code ${child.exitCode}` : child.signalCode !== null ? `signal ${child.signalCode}` : undefined;
  try {
    await waitForPort(host, port, 20_000, () => exited() === undefined);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    host,
    port,
    iqn: spec.iqn,
    pid: child.pid!,
    logFile: spec.logFile,
    exited,
    rssBytes: () => (exited() === undefined ? readRssBytes(child.pid!) : undefined),
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (exited() !== undefined) return resolveStop();
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(killer);
          resolveStop();
        });
        child.kill('SIGTERM');
      }),
  };
}
