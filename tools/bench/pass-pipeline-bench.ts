/**
 * The CPU a delta pass's pipeline itself costs a chunk (src/replication/pass-pipeline.ts, src/util/io-budget.ts):
 * transfers of 64 KiB, at most 32 in flight (a pass's MAX_OPS), each ending on the next turn
 * of the event loop, so the pipeline is full whenever a chunk is added — as in a pass that
 * plans faster than the link moves. No I/O: what is measured is the bookkeeping.
 * `--other DIR` runs the same against another built checkout (an A/B of two builds, alternated).
 *
 * Run: `npm run build && node dist-tools/tools/bench/pass-pipeline-bench.js [--adds 100000] [--rounds 3] [--other DIR]`.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toolArgs } from '../harness/tool-args.js';

interface Pipeline {
  add(bytes: number, task: () => Promise<void>): Promise<void>;
  drain(): Promise<void>;
}
type PipelineClass = new (pace: { windowBytes: number }, maxOps: number) => Pipeline;

const CHUNK = 64 * 1024;
const MAX_OPS = 32;

async function cpuPerAdd(Pipeline: PipelineClass, adds: number): Promise<number> {
  const pipeline = new Pipeline({ windowBytes: MAX_OPS * CHUNK }, MAX_OPS);
  const before = process.cpuUsage();
  for (let i = 0; i < adds; i++) await pipeline.add(CHUNK, () => new Promise((r) => setImmediate(r)));
  await pipeline.drain();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / adds;
}

async function load(root: string): Promise<PipelineClass> {
  const mod = (await import(pathToFileURL(resolve(root, 'dist/replication/pass-pipeline.js')).href)) as { PassPipeline: PipelineClass };
  return mod.PassPipeline;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = await toolArgs()
    .option('adds', { type: 'number', default: 100_000 })
    .option('rounds', { type: 'number', default: 3 })
    .option('other', { type: 'string', describe: 'another built checkout to compare with' })
    .parse();
  const builds: Array<[string, PipelineClass]> = [['this build', await load(resolve(import.meta.dirname, '../../..'))]];
  if (argv.other) builds.push([argv.other, await load(argv.other)]);
  // Warm-up: the JIT's first pass over the code is not the steady state.
  for (const [, Pipeline] of builds) await cpuPerAdd(Pipeline, Math.min(20_000, argv.adds));
  for (let round = 1; round <= argv.rounds; round++) {
    for (const [name, Pipeline] of builds) console.log(`round ${round} ${name}: ${(await cpuPerAdd(Pipeline, argv.adds)).toFixed(2)} µs of CPU a chunk`);
  }
}
