/**
 * Runs replication-floor.c (built here with the system's C compiler): the CPU a replicated
 * 4 KiB write costs the two nodes with no protocol at all — the send over loopback TCP and
 * the receive and pwrite on the other side. What any implementation pays at least.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';
import { median } from './median.js';

export interface FloorResult {
  /** Blocks per send. */
  batch: number;
  /** Median CPU µs per 4 KiB block: the sender's, the receiver's (read and pwrite). */
  sendUs: number;
  receiveUs: number;
}

/** Parses the program's one line: `send S receive+pwrite R us per block`. */
export function parseFloorLine(line: string): { sendUs: number; receiveUs: number } {
  const m = /^send ([\d.]+) receive\+pwrite ([\d.]+) us per block$/.exec(line.trim());
  if (!m) throw new Error(`replication-floor printed ${JSON.stringify(line.trim())}`);
  return { sendUs: Number(m[1]), receiveUs: Number(m[2]) };
}

/** Median of `runs` runs per batch size; `{ skipped }` with the reason when the program cannot be built. */
export function measureFloor(batches: readonly number[], blocks = 200_000, runs = 3): FloorResult[] | { skipped: string } {
  const work = mkdtempSync(join(tmpdir(), 'tandem-floor-'));
  try {
    const exe = join(work, 'replication-floor');
    const source = join(packageRoot(import.meta.url), 'tools', 'bench', 'replication-floor.c');
    const cc = spawnSync('cc', ['-O2', '-o', exe, source], { encoding: 'utf8' });
    if (cc.error || cc.status !== 0) return { skipped: `cannot build ${source}: ${cc.error?.message ?? cc.stderr.trim()}` };
    return batches.map((batch) => {
      const samples = Array.from({ length: runs }, () => {
        const r = spawnSync(exe, [join(work, 'blocks.img'), String(blocks), String(batch)], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`replication-floor exited ${r.status}: ${r.stderr.trim()}`);
        return parseFloorLine(r.stdout);
      });
      return { batch, sendUs: median(samples.map((s) => s.sendUs)), receiveUs: median(samples.map((s) => s.receiveUs)) };
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
