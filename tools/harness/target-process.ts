/**
 * Starts a target under test as a child process: Tandem (this build) or tgtd (the
 * reference). Used by the conformance runner and the benchmark, so both compare the
 * two targets the same way.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SERVE_NODE_OPTIONS } from '../../src/cli/node-options.js';
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
  /** One URL per portal the target listens on (the first is `url`). */
  urls: string[];
  /** After a suite: what is wrong with the target's state (a replicated pair whose backup differs), or undefined. */
  check?(): Promise<string | undefined>;
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
  /** Portals (ports on 127.0.0.1) to listen on; default 1. */
  portals?: number;
  /** Extra Tandem LUN options, e.g. ['removable']. */
  lunOptions?: string[];
  /** Extra `tandem serve` arguments (replication role, control socket). */
  serveArgs?: string[];
  /** tgt: `tgtadm --params` for the LU, e.g. 'removable=1'. */
  tgtParams?: string;
  /** tgtadm --blocksize of the LU (tgt's default: 512). */
  tgtBlockSize?: number;
  /** tgt: a backing-store type other than a file (`image` is then its path, e.g. POOL/IMAGE for rbd). */
  tgtBackingStore?: { type: string; options?: string };
}

/** The product's CLI (npm run build): the tools test the build, as a user runs it. */
export const TANDEM_CLI = join(packageRoot(import.meta.url), 'dist', 'cli', 'main.js');

const HOST = '127.0.0.1';

async function portsFor(spec: TargetSpec): Promise<number[]> {
  const ports = [spec.port ?? (await freePort(HOST))];
  while (ports.length < (spec.portals ?? 1)) ports.push(await freePort(HOST));
  return ports;
}

export async function startTandem(spec: TargetSpec): Promise<RunningTarget> {
  const ports = await portsFor(spec);
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  const lun = [`${spec.image}`, `size=${spec.size}`, ...(spec.lunOptions ?? [])].join(',');
  const listen = ports.flatMap((p) => ['--listen', `${HOST}:${p}`]);
  const child = spawn(
    process.execPath,
    [...SERVE_NODE_OPTIONS, TANDEM_CLI, 'serve', ...listen, '--iqn', spec.iqn, '--lun', lun, '--log-level', 'info', ...(spec.serveArgs ?? [])],
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);
  try {
    for (const p of ports) await waitForPort(HOST, p, 30_000, () => child.exitCode === null);
  } catch (e) {
    await stopChild(child, 'SIGKILL');
    throw new Error(`${(e as Error).message} (see ${spec.logFile})`);
  }
  const urls = ports.map((p) => `iscsi://${HOST}:${p}/${spec.iqn}/0`);
  return { kind: 'tandem', host: HOST, port: ports[0]!, iqn: spec.iqn, lun: 0, url: urls[0]!, urls, stop: () => stopChild(child, 'SIGTERM') };
}

export async function startTgt(spec: TargetSpec): Promise<RunningTarget> {
  const ports = await portsFor(spec);
  // tgtd's control socket is per "-C N"; pick one unlikely to collide with another instance.
  const control = String(1000 + (ports[0]! % 8000));
  if (!spec.tgtBackingStore) spawnSync('truncate', ['-s', String(spec.size), spec.image]);
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  const child = spawn('tgtd', ['-f', '-C', control, '--iscsi', `portal=${HOST}:${ports[0]}`], { stdio: ['ignore', out, out] });
  closeSync(out);
  const adm = (...args: string[]): void => {
    const r = spawnSync('tgtadm', ['-C', control, '--lld', 'iscsi', ...args], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`tgtadm ${args.join(' ')}: ${r.stderr || r.stdout}`);
  };
  // tgtd ignores SIGTERM. A LU on an RBD image is deleted first: its rbd_close releases the
  // image's exclusive lock, which a SIGKILLed client holds until its watch times out (~30 s
  // for the next client's first write).
  const stop = async (): Promise<void> => {
    if (spec.tgtBackingStore && child.exitCode === null) {
      try {
        adm('--op', 'delete', '--mode', 'logicalunit', '--tid', '1', '--lun', '1');
      } catch {
        // Not made yet (a failed start) or tgtd not answering: the SIGKILL follows either way.
      }
    }
    await stopChild(child, 'SIGKILL');
  };
  try {
    await waitForPort(HOST, ports[0]!, 20_000, () => child.exitCode === null);
    for (const p of ports.slice(1)) adm('--op', 'new', '--mode', 'portal', '--param', `portal=${HOST}:${p}`);
    adm('--op', 'new', '--mode', 'target', '--tid', '1', '-T', spec.iqn);
    const store = spec.tgtBackingStore;
    const storeArgs = store ? ['--bstype', store.type, ...(store.options ? ['--bsopts', store.options] : [])] : [];
    const blockSizeArgs = spec.tgtBlockSize ? ['--blocksize', String(spec.tgtBlockSize)] : [];
    adm('--op', 'new', '--mode', 'logicalunit', '--tid', '1', '--lun', '1', '-b', spec.image, ...storeArgs, ...blockSizeArgs);
    if (spec.tgtParams) adm('--op', 'update', '--mode', 'logicalunit', '--tid', '1', '--lun', '1', '--params', spec.tgtParams);
    adm('--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL');
    for (const p of ports.slice(1)) await waitForPort(HOST, p, 20_000, () => child.exitCode === null);
  } catch (e) {
    await stop();
    throw e;
  }
  const urls = ports.map((p) => `iscsi://${HOST}:${p}/${spec.iqn}/1`);
  return { kind: 'tgt', host: HOST, port: ports[0]!, iqn: spec.iqn, lun: 1, url: urls[0]!, urls, stop };
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
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
