/**
 * The RBD section of `npm run bench`: one image on a throw-away one-node Ceph cluster
 * (tools/harness/ceph-one-node.sh), served by Tandem (`--lun rbd:`, librbd aio in the
 * addon) and by tgtd with Debian's tgt-rbd (`--bstype rbd`, synchronous librbd calls on its
 * I/O threads), the same qemu-img workloads against each. Both use librbd's default client
 * cache settings from the same ceph.conf.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cephMissing, startCephCluster } from '../harness/ceph-cluster.js';
import { startTandem, startTgt } from '../harness/target-process.js';
import { compareTargets, type ComparisonRow } from './compare-targets.js';
import type { Workload } from './qemu-img-bench.js';

const TGT_RBD = '/usr/lib/tgt/backing-store/bs_rbd.so';

export interface RbdBenchOptions {
  rounds: number;
  workloads: Workload[];
  /** Image size in bytes. */
  size: number;
  work: string;
  log?: (line: string) => void;
}

export interface RbdBenchResult {
  /** Why the section did not run, when it did not. */
  skipped?: string;
  clusterStartMs?: number;
  rows?: ComparisonRow[];
}

/** Why the RBD section cannot run here, or null. */
export function rbdBenchMissing(): string | null {
  return cephMissing() ?? (existsSync(TGT_RBD) ? null : `${TGT_RBD} not installed (apt-get install tgt-rbd)`);
}

export async function runRbdBench(o: RbdBenchOptions): Promise<RbdBenchResult> {
  const missing = rbdBenchMissing();
  if (missing) return { skipped: missing };
  // The OSD's sparse block file must hold the image written once over, with room to spare.
  process.env.TANDEM_CEPH_OSD_BYTES ??= String(2 * o.size + (1 << 30));
  const cluster = await startCephCluster();
  try {
    const image = `${cluster.pool}/bench`;
    // Written once over before the rounds: a first write creates RADOS objects, later ones
    // overwrite them, and whichever target ran first would pay for the creation.
    await cluster.rbd('create', '--size', `${o.size}B`, image);
    await cluster.rbd('bench', '--io-type', 'write', '--io-pattern', 'seq', '--io-size', '4M', '--io-threads', '8', '--io-total', `${o.size}B`, '--rbd_cache=false', image);
    const iqn = 'iqn.2026-11.io.tandem:bench-rbd';
    const spec = (kind: string) => ({ iqn, image: `rbd:${image}`, size: o.size, logFile: join(o.work, `rbd-${kind}.log`) });
    const rows = await compareTargets({
      rounds: o.rounds,
      workloads: o.workloads,
      start: {
        tandem: () => startTandem({ ...spec('tandem'), lunOptions: [`conf=${cluster.conf}`, `meta=${join(o.work, 'rbd-meta')}`] }),
        tgt: () => startTgt({ ...spec('tgt'), image, tgtBackingStore: { type: 'rbd', options: `conf=${cluster.conf};id=admin` } }),
      },
      ...(o.log ? { log: o.log } : {}),
    });
    return { clusterStartMs: cluster.startMs, rows };
  } finally {
    await cluster.stop();
  }
}
