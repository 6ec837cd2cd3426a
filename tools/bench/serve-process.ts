/**
 * Tandem servers as the replication benches run them: `tandem serve` child processes of
 * this build on loopback, each with its control socket, and `tandem replicate --json` as a
 * user runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from '../harness/ports.js';
import { SERVE_NODE_OPTIONS } from '../../src/cli/node-options.js';
import { TANDEM_CLI } from '../harness/target-process.js';
import type { PassReport } from '../../src/replication/control/handler.js';

export const HOST = '127.0.0.1';

export interface ServeProcess {
  port: number;
  /** The server's process id (its CPU in /proc: cpu-per-write.ts). */
  pid: number;
  control: string;
  stop(): Promise<void>;
}

/** Node options for the targets a bench starts (e.g. `--cpu-prof` to profile them), from TANDEM_BENCH_NODE_ARGS. */
const NODE_ARGS = (process.env.TANDEM_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

/** `tandem serve` with `args`, logging to WORK/NAME.log, control socket WORK/NAME.sock. */
export async function serve(work: string, name: string, args: string[]): Promise<ServeProcess> {
  const port = await freePort(HOST);
  const control = join(work, `${name}.sock`);
  const out = openSync(join(work, `${name}.log`), 'a');
  const child: ChildProcess = spawn(process.execPath, [...SERVE_NODE_OPTIONS, ...NODE_ARGS, TANDEM_CLI, 'serve', '--listen', `${HOST}:${port}`, '--control', control, '--log-level', 'info', ...args], { stdio: ['ignore', out, out] });
  closeSync(out);
  await waitForPort(HOST, port, 30_000, () => child.exitCode === null);
  return {
    port,
    pid: child.pid!,
    control,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(killer);
          r();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** `tandem replicate --json` as a user runs it. */
export function replicateCli(control: string): Promise<{ passes: PassReport[]; bytesSent: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TANDEM_CLI, 'replicate', '--json', '--control', control], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(JSON.parse(out)) : reject(new Error(`tandem replicate exited ${code}: ${err.trim()}`))));
  });
}

