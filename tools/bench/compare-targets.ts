/**
 * Tandem against tgtd on the same backing store, `qemu-img bench` workloads alternating
 * targets round by round; the Tandem/tgt ratio of medians per workload. Used by the file
 * and the RBD sections of `npm run bench`.
 * Each fresh target is warmed up first (`warmUp`), both the same way.
 */
import { runQemuImgBench, warmUp, type Workload } from './qemu-img-bench.js';
import type { RunningTarget } from '../harness/target-process.js';
import { median } from './median.js';

export interface ComparisonRow {
  workload: string;
  tandemIops: number;
  tgtIops: number;
  ratio: number;
}

export interface Comparison {
  rounds: number;
  workloads: Workload[];
  /** Starts the target under test (a fresh process each round). */
  start: Record<'tandem' | 'tgt', () => Promise<RunningTarget>>;
  /** Prints each figure as it comes (not with --json). */
  log?: (line: string) => void;
}

export async function compareTargets(c: Comparison): Promise<ComparisonRow[]> {
  const results = new Map<string, { tandem: number[]; tgt: number[] }>(c.workloads.map((w) => [w.name, { tandem: [], tgt: [] }]));
  for (let round = 0; round < c.rounds; round++) {
    // Alternate which target goes first so cache warmth does not favour one.
    const order = round % 2 === 0 ? (['tandem', 'tgt'] as const) : (['tgt', 'tandem'] as const);
    for (const kind of order) {
      const target = await c.start[kind]();
      try {
        await warmUp(target.url, c.workloads);
        for (const w of c.workloads) {
          const r = await runQemuImgBench(target.url, w);
          results.get(w.name)![kind].push(r.iops);
          c.log?.(`round ${round + 1} ${kind.padEnd(6)} ${w.name.padEnd(20)} ${r.iops.toFixed(0).padStart(8)} IOPS ${r.mbPerSecond.toFixed(1).padStart(8)} MB/s`);
        }
      } finally {
        await target.stop();
      }
    }
  }
  return c.workloads.map((w) => {
    const r = results.get(w.name)!;
    const tandem = median(r.tandem);
    const tgt = median(r.tgt);
    return { workload: w.name, tandemIops: Math.round(tandem), tgtIops: Math.round(tgt), ratio: Number((tandem / tgt).toFixed(2)) };
  });
}

export function formatComparison(rows: ComparisonRow[], tgtLabel = 'tgt'): string {
  const lines = [`${'workload'.padEnd(20)} tandem IOPS ${`${tgtLabel} IOPS`.padStart(10)} ${`tandem/${tgtLabel}`.padStart(12)}`];
  for (const t of rows) lines.push(`${t.workload.padEnd(20)} ${String(t.tandemIops).padStart(11)} ${String(t.tgtIops).padStart(10)} ${t.ratio.toFixed(2).padStart(12)}`);
  return lines.join('\n');
}
