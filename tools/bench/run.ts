/**
 * `npm run bench`: the same sparse 1 GiB file served by Tandem and by tgtd, driven by
 * `qemu-img bench` (libiscsi) at queue depth 32, alternating targets round by round; then
 * the same against one RBD image on a throw-away Ceph cluster (Tandem's librbd store vs
 * tgt's bs_rbd); then the verify, replication (its processes sharing the cores, then the
 * backup on a core of its own) and first-sync benchmarks. Prints each figure
 * and the Tandem/tgt ratio of medians. Ratios, not absolute numbers, are what compare across
 * machines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolArgs } from '../harness/tool-args.js';
import type { Workload } from './qemu-img-bench.js';
import { compareTargets, formatComparison } from './compare-targets.js';
import { runRbdBench } from './rbd-bench.js';
import { formatVerifyBench, runVerifyBench } from './verify-bench.js';
import { formatReplicationBench, runReplicationBench } from './replication-bench.js';
import { formatFirstSyncBench, runFirstSyncBench } from './first-sync-bench.js';
import type { NodeCores } from './node-cores.js';
import { setLogLevel } from '../../src/util/log.js';
import { startTandem, startTgt } from '../harness/target-process.js';

/** The file and RBD sections' workloads; `scale` multiplies the request counts. */
const workloadsAt = (scale: number): Workload[] => [
  { name: '4KiB write', blockSize: 4096, count: Math.round(100_000 * scale), write: true, depth: 32 },
  { name: '4KiB read', blockSize: 4096, count: Math.round(100_000 * scale), write: false, depth: 32 },
  // A prime number of blocks between requests: every request at a new offset, ~8 MiB from the last.
  { name: '4KiB write scattered', blockSize: 4096, count: Math.round(100_000 * scale), write: true, depth: 32, step: 2053 * 4096 },
  { name: '4KiB read scattered', blockSize: 4096, count: Math.round(100_000 * scale), write: false, depth: 32, step: 2053 * 4096 },
  { name: '1MiB write', blockSize: 1 << 20, count: Math.round(1024 * scale), write: true, depth: 32 },
  { name: '1MiB read', blockSize: 1 << 20, count: Math.round(1024 * scale), write: false, depth: 32 },
];

const argv = await toolArgs()
  .option('rounds', { type: 'number', default: 3 })
  .option('workload', {
    type: 'string',
    array: true,
    choices: workloadsAt(1).map((w) => w.name),
    describe: 'only this workload in the file and RBD sections (repeatable; an A/B of one row: --workload "1MiB write" --rounds 4)',
  })
  .option('scale', { type: 'number', default: 1, describe: 'multiplies the request counts' })
  .option('json', { type: 'boolean', default: false })
  .option('file', { type: 'boolean', default: true, describe: 'run the file-backed comparison (sparse 1 GiB file)' })
  .option('rbd', { type: 'boolean', default: true, describe: 'also compare on a Ceph RBD image (one-node cluster; needs ceph-mon, ceph-osd, ceph-common, tgt-rbd)' })
  .option('verify', { type: 'boolean', default: true, describe: 'also run the replica-verify benchmark (1 GiB pair)' })
  .option('replication', { type: 'boolean', default: true, describe: 'also run the replication benchmark (sync/async write IOPS, delta pass bytes)' })
  .option('replication-node-cores', {
    type: 'string',
    array: true,
    choices: ['shared', 'separate'],
    default: ['shared', 'separate'],
    describe: 'where the replication section runs its processes: all on the same cores, or the backup alone on a core as on a machine of its own (repeatable)',
  })
  .option('first-sync', { type: 'boolean', default: true, describe: 'also run the first-sync benchmark (64 GiB thin primary, 256 MiB of data)' })
  .parseAsync();

// The embedded initiator's login lines are no part of a bench's report.
setLogLevel(process.env.TANDEM_LOG_LEVEL ?? 'warn');

const SIZE = 1024 ** 3;
const workloads = workloadsAt(argv.scale).filter((w) => !argv.workload || argv.workload.includes(w.name));
const log = argv.json ? undefined : (line: string) => console.log(line);

const work = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
try {
  if (argv.file) {
    const spec = (kind: string) => ({ iqn: 'iqn.2026-11.io.tandem:bench', image: join(work, 'disk.img'), size: SIZE, logFile: join(work, `${kind}.log`) });
    const table = await compareTargets({ rounds: argv.rounds, workloads, start: { tandem: () => startTandem(spec('tandem')), tgt: () => startTgt(spec('tgt')) }, ...(log ? { log } : {}) });
    console.log(argv.json ? JSON.stringify(table, null, 2) : `\n${formatComparison(table)}`);
  }
  if (argv.rbd) {
    if (!argv.json) console.log('\nRBD: one image on a one-node Ceph cluster, Tandem (librbd aio) vs tgtd (bs_rbd)');
    const rbd = await runRbdBench({ rounds: argv.rounds, workloads, size: SIZE, work, ...(log ? { log } : {}) });
    if (argv.json) console.log(JSON.stringify({ rbd }, null, 2));
    else if (rbd.skipped) console.log(`RBD section skipped: ${rbd.skipped}`);
    else console.log(`(cluster up in ${((rbd.clusterStartMs ?? 0) / 1000).toFixed(1)} s)\n${formatComparison(rbd.rows ?? [], 'tgt-rbd')}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (argv.verify) {
  // Reverse challenge-response verify of a 1 GiB pair, next to a plain read-and-compare.
  const verify = await runVerifyBench({ rounds: argv.rounds });
  if (argv.json) console.log(JSON.stringify(verify, null, 2));
  else console.log(`\n${formatVerifyBench(verify)}`);
}

if (argv.replication) {
  // Mirrored 4 KiB write IOPS as ratios against an unreplicated LUN, and delta-pass wire bytes.
  for (const nodeCores of argv.replicationNodeCores as NodeCores[]) {
    const replication = await runReplicationBench({ writes: Math.round(20_000 * argv.scale), rounds: argv.rounds, nodeCores });
    console.log(argv.json ? JSON.stringify(replication, null, 2) : `\n${formatReplicationBench(replication)}`);
  }
}

if (argv.firstSync) {
  // A thin first sync against copying the same data over iSCSI, and the backup's allocation against the primary's.
  const firstSync = await runFirstSyncBench();
  console.log(argv.json ? JSON.stringify(firstSync, null, 2) : `\n${formatFirstSyncBench(firstSync)}`);
}
