/**
 * Starts a target under test as a child process: Tandem (this build) or tgtd (the
 * reference). Used by the conformance runner and the benchmark, so both compare the
 * two targets the same way.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';
import { freePort, waitForPort } from './ports.js';

export interface RunningTarget {
  kind: 'tandem' | 'tgt';
  host: string;
  port: number;
  iqn: string;
  /** LUN number of the disk under test (tgt keeps LUN 0 for its controller). */
  lun: number;
  url: string;
  stop(): Promise<void>;
}

export interface TargetSpec {
  iqn: string;
  /** Backing file; created sparse with `size` bytes when absent. */
  image: string;
  size: number;
  /** Where the process writes its log. */
  logFile: string;
  port?: number;
  /** Extra Tandem LUN options, e.g. ['removable']. */
  lunOptions?: string[];
}

/** The product's CLI (npm run build): the tools test the build, as a user runs it. */
export const TANDEM_CLI = join(packageRoot(import.meta.url), 'dist', 'cli', 'main.js');

export async function startTandem(spec: TargetSpec): Promise<RunningTarget> {
  const host = '127.0.0.1';
  const port = spec.port ?? (await freePort(host));
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  const child = spawn(
    process.execPath,
    [TANDEM_CLI, 'serve', '--listen', `${host}:${port}`, '--iqn', spec.iqn, '--lun', [`${spec.image}`, `size=${spec.size}`, ...(spec.lunOptions ?? [])].join(','), '--log-level', 'info'],
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);
  await waitForPort(host, port, 20_000, () => child.exitCode === null);
  return {
    kind: 'tandem',
    host,
    port,
    iqn: spec.iqn,
    lun: 0,
    url: `iscsi://${host}:${port}/${spec.iqn}/0`,
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

export async function startTgt(spec: TargetSpec): Promise<RunningTarget> {
  const host = '127.0.0.1';
  const port = spec.port ?? (await freePort(host));
  // tgtd's control socket is per "-C N"; pick one unlikely to collide with another instance.
  const control = String(1000 + (port % 8000));
  spawnSync('truncate', ['-s', String(spec.size), spec.image]);
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  const child = spawn('tgtd', ['-f', '-C', control, '--iscsi', `portal=${host}:${port}`], { stdio: ['ignore', out, out] });
  closeSync(out);
  await waitForPort(host, port, 20_000, () => child.exitCode === null);
  const adm = (...args: string[]): void => {
    const r = spawnSync('tgtadm', ['-C', control, '--lld', 'iscsi', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tgtadm ${args.join(' ')}: ${r.stderr || r.stdout}`);
  };
  adm('--op', 'new', '--mode', 'target', '--tid', '1', '-T', spec.iqn);
  adm('--op', 'new', '--mode', 'logicalunit', '--tid', '1', '--lun', '1', '-b', spec.image);
  adm('--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL');
  return {
    kind: 'tgt',
    host,
    port,
    iqn: spec.iqn,
    lun: 1,
    url: `iscsi://${host}:${port}/${spec.iqn}/1`,
    // tgtd ignores SIGTERM.
    stop: () => stopChild(child, 'SIGKILL'),
  };
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolvePromise();
    });
    child.kill(signal);
  });
}
