/**
 * What points cost on disk: 100 points of a 1 GiB LUN (a sparse file) with scattered 4 KiB
 * rewrites of previously written blocks between consecutive points. The sum of the
 * allocated blocks (st_blocks × 512) of every file under points/ (data, maps, catalogue)
 * is compared with the bytes rewritten: a scattered rewrite should cost what it rewrote.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openLun, prng } from './point-harness.js';

const GIB = 1024 * 1024 * 1024;
export const MIB = 1024 * 1024;
const G = 4096;
const DEPTH = 256;

export interface SpaceFigures {
  points: number;
  rewrittenBytes: number;
  heldBytes: number;
  allocatedBytes: number;
  ratio: number;
  copyOnWritePerSecond: number;
}

export async function measureSpace(points: number, perPoint: number): Promise<SpaceFigures> {
  const lun = await openLun(GIB);
  const rng = prng(2026);
  // The blocks the host rewrites were written once before the first point.
  const workingSet = Math.min(GIB, Math.max(64 * MIB, 4 * perPoint));
  try {
    for (let off = 0; off < workingSet; off += 16 * MIB) await lun.image.write(randomBytes(16 * MIB), off);
    const started = performance.now();
    let rewritten = 0;
    for (let id = 1; id <= points; id++) {
      await lun.points.take({ id, at: id * 60_000, origin: 'pass' });
      const units = new Set<number>();
      while (units.size < perPoint / G) units.add(Math.floor(rng() * (workingSet / G)));
      const queue = [...units];
      const data = randomBytes(G);
      // Copy-on-write before each write, as the engine does, many in flight.
      const worker = async () => {
        for (let u = queue.pop(); u !== undefined; u = queue.pop()) {
          await lun.points.beforeOverwrite(u * G, G);
          await lun.image.write(data, u * G);
        }
      };
      await Promise.all(Array.from({ length: DEPTH }, worker));
      rewritten += units.size * G;
    }
    const seconds = (performance.now() - started) / 1000;
    const dir = join(lun.dir, 'disk.img.tandem', 'points');
    const allocatedBytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).blocks * 512, 0);
    const heldBytes = lun.points.list().reduce((n, p) => n + p.bytes, 0);
    return { points, rewrittenBytes: rewritten, heldBytes, allocatedBytes, ratio: allocatedBytes / rewritten, copyOnWritePerSecond: rewritten / G / seconds };
  } finally {
    await lun.cleanup();
  }
}

export function describeSpace(f: SpaceFigures): string {
  return `points: ${f.points} × ${(f.rewrittenBytes / f.points / MIB).toFixed(0)} MiB rewritten = ${(f.rewrittenBytes / MIB).toFixed(0)} MiB; held ${(f.heldBytes / MIB).toFixed(0)} MiB; allocated ${(f.allocatedBytes / MIB).toFixed(1)} MiB = ${f.ratio.toFixed(4)} × rewritten; ${f.copyOnWritePerSecond.toFixed(0)} copy-on-write writes/s`;
}
