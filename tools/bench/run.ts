/**
 * `npm run bench`: the same sparse 1 GiB file served by Tandem and by tgtd, driven by
 * `qemu-img bench` (libiscsi) at queue depth 32, alternating targets round by round.
 * Prints each figure and the Tandem/tgt ratio of medians; then the verify, replication and
 * first-sync benchmarks. Ratios, not absolute numbers, are what compare across machines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runQemuImgBench, type Workload } from './qemu-img-bench.js';
import { formatVerifyBench, runVerifyBench } from './verify-bench.js';
import { formatReplicationBench, runReplicationBench } from './replication-bench.js';
import { formatFirstSyncBench, runFirstSyncBench } from './first-sync-bench.js';
import { startTandem, startTgt, type RunningTarget } from '../harness/target-process.js';

const argv = await yargs(hideBin(process.argv))
  .option('rounds', { type: 'number', default: 3 })
  .option('scale', { type: 'number', default: 1, describe: 'multiplies the request counts' })
  .option('json', { type: 'boolean', default: false })
  .option('verify', { type: 'boolean', default: true, describe: 'also run the replica-verify benchmark (1 GiB pair)' })
  .option('replication', { type: 'boolean', default: true, describe: 'also run the replication benchmark (sync/async write IOPS, delta pass bytes)' })
  .option('first-sync', { type: 'boolean', default: true, describe: 'also run the first-sync benchmark (64 GiB thin primary, 256 MiB of data)' })
  .strict()
  .parseAsync();

const SIZE = 1024 ** 3;
const workloads: Workload[] = [
  { name: '4KiB write', blockSize: 4096, count: Math.round(100_000 * argv.scale), write: true, depth: 32 },
  { name: '4KiB read', blockSize: 4096, count: Math.round(100_000 * argv.scale), write: false, depth: 32 },
  // A prime number of blocks between requests: every request at a new offset, ~8 MiB from the last.
  { name: '4KiB write scattered', blockSize: 4096, count: Math.round(100_000 * argv.scale), write: true, depth: 32, step: 2053 * 4096 },
  { name: '4KiB read scattered', blockSize: 4096, count: Math.round(100_000 * argv.scale), write: false, depth: 32, step: 2053 * 4096 },
  { name: '1MiB write', blockSize: 1 << 20, count: Math.round(1024 * argv.scale), write: true, depth: 32 },
  { name: '1MiB read', blockSize: 1 << 20, count: Math.round(1024 * argv.scale), write: false, depth: 32 },
];

const work = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
const image = join(work, 'disk.img');
const results = new Map<string, { tandem: number[]; tgt: number[] }>(workloads.map((w) => [w.name, { tandem: [], tgt: [] }]));

try {
  for (let round = 0; round < argv.rounds; round++) {
    // Alternate which target goes first so page-cache warmth does not favour one.
    const order = round % 2 === 0 ? (['tandem', 'tgt'] as const) : (['tgt', 'tandem'] as const);
    for (const kind of order) {
      const spec = { iqn: 'iqn.2026-11.io.tandem:bench', image, size: SIZE, logFile: join(work, `${kind}.log`) };
      const target: RunningTarget = kind === 'tandem' ? await startTandem(spec) : await startTgt(spec);
      try {
        for (const w of workloads) {
          const r = await runQemuImgBench(target.url, w);
          results.get(w.name)![kind].push(r.iops);
          if (!argv.json) console.log(`round ${round + 1} ${kind.padEnd(6)} ${w.name.padEnd(20)} ${r.iops.toFixed(0).padStart(8)} IOPS ${r.mbPerSecond.toFixed(1).padStart(8)} MB/s`);
        }
      } finally {
        await target.stop();
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const table = workloads.map((w) => {
  const r = results.get(w.name)!;
  const tandem = median(r.tandem);
  const tgt = median(r.tgt);
  return { workload: w.name, tandemIops: Math.round(tandem), tgtIops: Math.round(tgt), ratio: Number((tandem / tgt).toFixed(2)) };
});
if (argv.json) console.log(JSON.stringify(table, null, 2));
else {
  console.log(`\n${'workload'.padEnd(20)} tandem IOPS   tgt IOPS   tandem/tgt`);
  for (const t of table) console.log(`${t.workload.padEnd(20)} ${String(t.tandemIops).padStart(11)} ${String(t.tgtIops).padStart(10)} ${t.ratio.toFixed(2).padStart(12)}`);
}

if (argv.verify) {
  // Reverse challenge-response verify of a 1 GiB pair, next to a plain read-and-compare.
  const verify = await runVerifyBench({ rounds: argv.rounds });
  if (argv.json) console.log(JSON.stringify(verify, null, 2));
  else console.log(`\n${formatVerifyBench(verify)}`);
}

if (argv.replication) {
  // Mirrored 4 KiB write IOPS as ratios against an unreplicated LUN, and delta-pass wire bytes.
  const replication = await runReplicationBench({ writes: Math.round(20_000 * argv.scale), rounds: argv.rounds });
  console.log(argv.json ? JSON.stringify(replication, null, 2) : `\n${formatReplicationBench(replication)}`);
}

if (argv.firstSync) {
  // A thin first sync against copying the same data over iSCSI, and the backup's allocation against the primary's.
  const firstSync = await runFirstSyncBench();
  console.log(argv.json ? JSON.stringify(firstSync, null, 2) : `\n${formatFirstSyncBench(firstSync)}`);
}
