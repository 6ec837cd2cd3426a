/**
 * A throw-away one-node Ceph cluster for the RBD tests and the benchmark: runs
 * tools/harness/ceph-one-node.sh (one mon, one BlueStore OSD on a sparse file, pool "rbd")
 * in a fresh directory on free ports, and stops it again.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/util/package-root.js';
import { freePortRange } from './ports.js';

const run = promisify(execFile);
const SCRIPT = join(packageRoot(import.meta.url), 'tools', 'harness', 'ceph-one-node.sh');
const DAEMONS = ['/usr/bin/ceph-mon', '/usr/bin/ceph-osd', '/usr/bin/ceph', '/usr/bin/rbd', '/usr/bin/monmaptool', '/usr/bin/ceph-authtool'];
/** The mon's port and the OSD's 20 after it. */
const PORTS = 21;
const TMPFS_MAGIC = 0x01021994;

export interface CephCluster {
  /** The ceph.conf clients pass (`-c`, or `conf=` of an rbd: LUN); client.admin's keyring is named there. */
  conf: string;
  dir: string;
  /** The pool the script creates (size 1, 8 PGs). */
  pool: string;
  /** Wall-clock milliseconds from start to a usable pool. */
  startMs: number;
  /** Runs the `rbd` CLI against the cluster; its stdout (`rbd export IMAGE -` writes the image there). */
  rbd(...args: string[]): Promise<Buffer>;
  /** Runs the `ceph` CLI against the cluster (`osd pool create ...`). */
  ceph(...args: string[]): Promise<string>;
  /** SIGKILLs the OSD (a crash: it does not tell the mon) and waits until it is gone; its pid. */
  killOsd(): Promise<number>;
  /** Starts the killed OSD again on the same data and config; resolves once the mon has it up. */
  startOsd(): Promise<void>;
  stop(): Promise<void>;
}

/** Why no cluster can be started here (Debian's ceph-mon, ceph-osd and ceph-common missing), or null. */
export function cephMissing(): string | null {
  const missing = DAEMONS.filter((p) => !existsSync(p));
  return missing.length === 0 ? null : `${missing.join(', ')} not installed (apt-get install --no-install-recommends ceph-mon ceph-osd ceph-common)`;
}

export async function startCephCluster(): Promise<CephCluster> {
  const missing = cephMissing();
  if (missing) throw new Error(`cannot start a Ceph cluster: ${missing}`);
  const dir = mkdtempSync(join(clusterParent(), 'tandem-ceph-'));
  const started = Date.now();
  let conf: string;
  try {
    const port = await freePortRange(PORTS);
    conf = (await run(SCRIPT, ['start', dir, String(port)], { timeout: 120_000 })).stdout.trim();
  } catch (e) {
    await run(SCRIPT, ['stop', dir]).catch(() => rmSync(dir, { recursive: true, force: true }));
    const err = e as { stderr?: string; message: string };
    throw new Error(`ceph-one-node.sh start failed: ${err.stderr?.trim() || err.message}`);
  }
  const startMs = Date.now() - started;
  let stopping: Promise<void> | undefined;
  return {
    conf,
    dir,
    pool: 'rbd',
    startMs,
    rbd: async (...args) => (await run('rbd', ['-c', conf, ...args], { maxBuffer: 1 << 30, encoding: 'buffer' })).stdout,
    ceph: async (...args) => (await run('ceph', ['-c', conf, ...args])).stdout,
    killOsd: async () => Number((await script('osd-kill', dir, 30_000)).trim()),
    startOsd: async () => void (await script('osd-start', dir, 90_000)),
    stop: () => (stopping ??= run(SCRIPT, ['stop', dir]).then(() => undefined)),
  };
}

/** Runs a command of ceph-one-node.sh; its stdout, or an error with its stderr. */
async function script(cmd: string, dir: string, timeout: number): Promise<string> {
  try {
    return (await run(SCRIPT, [cmd, dir], { timeout })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ceph-one-node.sh ${cmd} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** BlueStore opens its file with O_DIRECT, which tmpfs refuses: fall back to /var/tmp. */
function clusterParent(): string {
  const dir = process.env.TANDEM_CEPH_DIR ?? tmpdir();
  return statfsSync(dir).type === TMPFS_MAGIC ? '/var/tmp' : dir;
}

