/**
 * Two builds of Tandem and tgtd on the same sparse 1 GiB file, 4 KiB and 1 MiB writes at
 * QD 32 (`qemu-img bench`), the order rotating round by round: tells a change's effect on
 * the write path apart from the machine's mood, which moves single `npm run bench` rounds
 * by ±30% here. The other build is a checkout with `dist/` built (e.g. a `git worktree` of
 * the commit before the change, `npx tsc -p tsconfig.json`, and `build/` copied in).
 *
 * `node dist-tools/tools/bench/compare-builds.js --other DIR [--rounds 3]`
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolArgs } from '../harness/tool-args.js';
import { freePort, waitForPort } from '../harness/ports.js';
import { TANDEM_CLI, startTgt } from '../harness/target-process.js';
import { runQemuImgBench, type Workload } from './qemu-img-bench.js';
import { median } from './median.js';
import { SERVE_NODE_OPTIONS } from '../../src/cli/node-options.js';

const argv = await toolArgs()
  .option('other', { type: 'string', demandOption: true, describe: 'checkout of the other build (its dist/cli/main.js is run)' })
  .option('rounds', { type: 'number', default: 3 })
  .parseAsync();

const IQN = 'iqn.2026-11.io.tandem:compare';
const workloads: Workload[] = [
  { name: '4KiB write', blockSize: 4096, count: 100_000, write: true, depth: 32 },
  { name: '1MiB write', blockSize: 1 << 20, count: 1024, write: true, depth: 32 },
];
const work = mkdtempSync(join(tmpdir(), 'tandem-compare-'));
const image = join(work, 'disk.img');

/** What a round needs of a target. */
interface Served {
  url: string;
  stop(): Promise<void>;
}

async function startBuild(cli: string): Promise<Served> {
  const port = await freePort('127.0.0.1');
  const child = spawn(process.execPath, [...SERVE_NODE_OPTIONS, cli, 'serve', '--lun', `${image},size=1G`, '--listen', `127.0.0.1:${port}`, '--iqn', IQN, '--log-level', 'warn'], { stdio: 'ignore' });
  await waitForPort('127.0.0.1', port, 30_000, () => child.exitCode === null);
  const stop = () =>
    new Promise<void>((r) => {
      if (child.exitCode !== null) return r();
      child.once('exit', () => r());
      child.kill('SIGTERM');
    });
  return { url: `iscsi://127.0.0.1:${port}/${IQN}/0`, stop };
}

const kinds = ['this', 'other', 'tgt'] as const;
const results = new Map<string, number[]>();
try {
  for (let round = 0; round < argv.rounds; round++) {
    const order = round % 2 ? [...kinds].reverse() : kinds;
    for (const kind of order) {
      const t: Served = kind === 'tgt' ? await startTgt({ iqn: IQN, image, size: 1 << 30, logFile: join(work, 'tgt.log') }) : await startBuild(kind === 'this' ? TANDEM_CLI : join(argv.other, 'dist', 'cli', 'main.js'));
      try {
        for (const w of workloads) {
          const r = await runQemuImgBench(t.url, w);
          results.set(`${kind} ${w.name}`, [...(results.get(`${kind} ${w.name}`) ?? []), r.iops]);
          console.log(`round ${round + 1} ${kind.padEnd(5)} ${w.name.padEnd(10)} ${r.iops.toFixed(0).padStart(8)} IOPS`);
        }
      } finally {
        await t.stop();
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`\n${'workload'.padEnd(12)} ${'this'.padStart(8)} ${'other'.padStart(8)} ${'tgt'.padStart(8)}  this/tgt  other/tgt  this/other`);
for (const w of workloads) {
  const [a, b, t] = kinds.map((k) => median(results.get(`${k} ${w.name}`)!));
  console.log(`${w.name.padEnd(12)} ${a!.toFixed(0).padStart(8)} ${b!.toFixed(0).padStart(8)} ${t!.toFixed(0).padStart(8)}  ${(a! / t!).toFixed(2).padStart(8)}  ${(b! / t!).toFixed(2).padStart(9)}  ${(a! / b!).toFixed(2).padStart(10)}`);
}
