/**
 * End to end: two live Tandem targets whose 256 MiB volumes differ in a random set of
 * chunks. Verify finds exactly that set (from a local source file and from a source
 * target), repair copies only those chunks, a second verify finds nothing, and the
 * challenge traffic stays a small fraction of the volume.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerify } from '../../src/verify/run.js';
import type { Extent } from '../../src/verify/plan.js';
import { scribble, startLivePair, type LivePair } from './live-pair.js';

const SIZE = 256 * 1024 * 1024;
const CHUNK = 64 * 1024;
const BLOCK = 512;
const CHUNKS = SIZE / CHUNK;
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

/** A random set of chunk indices, always with the first and last chunk and one adjacent pair. */
function pickChunks(): number[] {
  const set = new Set<number>([0, CHUNKS - 1, 1000, 1001]);
  while (set.size < 40) set.add(Math.floor(Math.random() * CHUNKS));
  return [...set].sort((a, b) => a - b);
}

/** Independent of the engine's own merging: adjacent chunks become one extent. */
function expectedExtents(chunks: number[]): Extent[] {
  const out: Extent[] = [];
  for (const c of chunks) {
    const last = out[out.length - 1];
    if (last && last.lba + last.blocks === (c * CHUNK) / BLOCK) last.blocks += CHUNK / BLOCK;
    else out.push({ lba: (c * CHUNK) / BLOCK, blocks: CHUNK / BLOCK });
  }
  return out;
}

describe('verify and repair between two live targets', () => {
  let pair: LivePair;
  let chunks: number[];

  beforeAll(async () => {
    chunks = pickChunks();
    pair = await startLivePair(SIZE, (_source, replica) => {
      // Some chunks differ by a few bytes only, to show no partial-chunk blind spot.
      for (const [i, c] of chunks.entries()) scribble(replica, c * CHUNK + (i % 2 === 0 ? 0 : CHUNK - 7), i % 2 === 0 ? CHUNK : 7);
    });
  }, 60_000);

  afterAll(async () => {
    await pair?.close();
  });

  it('finds exactly the differing chunks from a local source file', async () => {
    const report = await runVerify({ source: pair.source.path, replica: pair.replica.url, chunk: '64KiB' });
    expect(report.chunksChecked).toBe(CHUNKS);
    expect(report.differingChunks).toBe(chunks.length);
    expect(report.differing).toEqual(expectedExtents(chunks));
    expect(report.bytesRepaired).toBe(0);
    expect(report.wire.source).toBeUndefined();
    const wire = report.wire.replica.total.bytesSent + report.wire.replica.total.bytesReceived;
    expect(wire).toBeLessThan(0.005 * SIZE);
  }, 30_000);

  it('repairs only those chunks from a source target, after which nothing differs', async () => {
    const first = await runVerify({ source: pair.source.url, replica: pair.replica.url, chunk: CHUNK, repair: true });
    expect(first.differing).toEqual(expectedExtents(chunks));
    expect(first.bytesRepaired).toBe(chunks.length * CHUNK);
    const verifyWire = (w: { bytesSent: number; bytesReceived: number }): number => w.bytesSent + w.bytesReceived;
    // The challenge phase moves no data: well under 0.5% of the volume on both sessions together.
    expect(verifyWire(first.wire.replica.verify) + verifyWire(first.wire.source!.verify)).toBeLessThan(0.005 * SIZE);
    // In all, each session carries at most the repaired data once (read from source, written to replica) on top of that.
    expect(verifyWire(first.wire.replica.total)).toBeLessThan(0.005 * SIZE + first.bytesRepaired);
    expect(verifyWire(first.wire.source!.total)).toBeLessThan(0.005 * SIZE + first.bytesRepaired);
    // Data really moved: at least the repaired bytes went to the replica.
    expect(first.wire.replica.total.bytesSent).toBeGreaterThanOrEqual(first.bytesRepaired);

    const second = await runVerify({ source: pair.source.url, replica: pair.replica.url, chunk: CHUNK });
    expect(second.differingChunks).toBe(0);
    expect(second.differing).toEqual([]);
    expect(readFileSync(pair.replica.path).equals(readFileSync(pair.source.path))).toBe(true);
  }, 40_000);

  // npm install builds dist/; a CLI without `verify` fails here rather than being skipped.
  it('the built CLI prints one JSON report', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'verify', '--source', pair.source.path, '--replica', pair.replica.url, '--json']);
    const report = JSON.parse(stdout) as { volumeBytes: number; chunkBytes: number; chunksChecked: number; differing: Extent[] };
    expect(report.volumeBytes).toBe(SIZE);
    expect(report.chunkBytes).toBe(CHUNK);
    expect(report.chunksChecked).toBe(CHUNKS);
    expect(report.differing).toEqual([]);
  }, 30_000);
});
