/**
 * Verify benchmark: two Tandem targets (in this process) on sparse files filled with the
 * same random data. Measures `verify` (batched challenges, source and replica both
 * targets, and source as a local file) by SHA-256 and, where this build has it, by
 * XXH3-128, against the plain alternative, reading both volumes over iSCSI and comparing.
 * Prints GiB/s of each, verify / read-and-compare, and XXH3-128 / SHA-256.
 * Runnable alone: node dist-tools/tools/bench/verify-bench.js [--size 1GiB] [--filled 1GiB] [--rounds 3] [--json]
 */
process.env.UV_THREADPOOL_SIZE ??= '16';

import { randomBytes } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunningServer } from '../../src/cli/serve.js';
import { parseSize } from '../../src/util/parse-size.js';
import { forEachBounded } from '../../src/verify/bounded.js';
import { setLogLevel } from '../../src/util/log.js';
import { median } from './median.js';

/** Loaded after the log level is set: module loggers copy the level when created. */
async function modules() {
  const [{ startServer }, { buildServeSettings }, { runVerify }, { connectUrl, parseUrlArgument }, { DIGEST_ALGORITHMS }] = await Promise.all([
    import('../../src/cli/serve.js'),
    import('../../src/cli/serve-options.js'),
    import('../../src/verify/run.js'),
    import('../../src/verify/connect.js'),
    import('../../src/block/digest.js'),
  ]);
  return { startServer, buildServeSettings, runVerify, connectUrl, parseUrlArgument, hasXxh3: DIGEST_ALGORITHMS.includes('xxh3') };
}
type Modules = Awaited<ReturnType<typeof modules>>;

export interface VerifyBenchOptions {
  /** Volume size (default 1 GiB). */
  sizeBytes?: number;
  /** Bytes of random data from the start (default: all); the rest stays sparse zeroes. */
  filledBytes?: number;
  chunkBytes?: number;
  /** Each figure is the median of this many runs (default 3), the kinds interleaved. */
  rounds?: number;
}

export interface VerifyBenchResult {
  sizeBytes: number;
  filledBytes: number;
  chunkBytes: number;
  rounds: number;
  /** Source and replica are both targets; SHA-256. */
  verifySeconds: number;
  verifyGiBps: number;
  verifyWireBytes: number;
  /** Source is the local image file; SHA-256. */
  verifyLocalSeconds: number;
  verifyLocalGiBps: number;
  readCompareSeconds: number;
  readCompareGiBps: number;
  readCompareWireBytes: number;
  /** verify GiB/s ÷ read-and-compare GiB/s (target-to-target verify, SHA-256). */
  ratio: number;
  /** The same two verifies by XXH3-128; absent where this build lacks it (no libxxhash-dev). */
  xxh3?: {
    verifySeconds: number;
    verifyGiBps: number;
    verifyLocalSeconds: number;
    verifyLocalGiBps: number;
    /** XXH3-128 GiB/s ÷ SHA-256 GiB/s, target vs target and local file vs target. */
    speedup: number;
    localSpeedup: number;
  };
}

const GiB = 1024 ** 3;
const READ_IO_BYTES = 1024 * 1024;
const READ_DEPTH = 8;

function fillSame(paths: string[], filled: number): void {
  // 32 MiB + 4 KiB of random bytes repeated: unequal neighbours at every chunk size, without GiBs of RNG.
  const pattern = randomBytes(32 * 1024 * 1024 + 4096);
  for (const path of paths) {
    const fd = openSync(path, 'w');
    try {
      for (let at = 0; at < filled; at += pattern.length) writeSync(fd, pattern, 0, Math.min(pattern.length, filled - at), at);
      // Written back now, so writeback of GiBs of dirty pages does not land inside a timed run.
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

async function serve(m: Modules, path: string, size: number, iqn: string): Promise<{ server: RunningServer; url: string }> {
  const server = await m.startServer(m.buildServeSettings({ iqn, lun: [`${path},size=${size}`], listen: ['127.0.0.1:0'], logLevel: 'warn' }));
  return { server, url: `iscsi://127.0.0.1:${Number(server.addresses[0]!.split(':').pop())}/${iqn}/0` };
}

/** The baseline: READ(16) both volumes in 1 MiB pieces, 8 deep per session, and compare. */
async function readAndCompare(m: Modules, sourceUrl: string, replicaUrl: string, size: number): Promise<{ seconds: number; wire: number; differing: number }> {
  const a = await m.connectUrl(m.parseUrlArgument(sourceUrl, 'source'));
  const b = await m.connectUrl(m.parseUrlArgument(replicaUrl, 'replica'));
  try {
    await a.readCapacity16(0);
    await b.readCapacity16(0);
    const wire0 = a.stats.bytesReceived + a.stats.bytesSent + b.stats.bytesReceived + b.stats.bytesSent;
    const started = performance.now();
    let differing = 0;
    const blocks = READ_IO_BYTES / 512;
    await forEachBounded(Math.ceil(size / READ_IO_BYTES), READ_DEPTH, async (i) => {
      const n = Math.min(blocks, size / 512 - i * blocks);
      const [x, y] = await Promise.all([a.read16(0, i * blocks, n), b.read16(0, i * blocks, n)]);
      if (!x.equals(y)) differing++;
    });
    const seconds = (performance.now() - started) / 1000;
    const wire = a.stats.bytesReceived + a.stats.bytesSent + b.stats.bytesReceived + b.stats.bytesSent - wire0;
    return { seconds, wire, differing };
  } finally {
    await Promise.allSettled([a.logout(), b.logout()]);
  }
}

export async function runVerifyBench(options: VerifyBenchOptions = {}): Promise<VerifyBenchResult> {
  const size = options.sizeBytes ?? GiB;
  const filled = Math.min(size, options.filledBytes ?? size);
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  setLogLevel(process.env.TANDEM_LOG_LEVEL ?? 'warn');
  const m = await modules();
  const dir = mkdtempSync(join(tmpdir(), 'tandem-verify-bench-'));
  const sourcePath = join(dir, 'source.img');
  const replicaPath = join(dir, 'replica.img');
  const servers: RunningServer[] = [];
  try {
    fillSame([sourcePath, replicaPath], filled);
    const source = await serve(m, sourcePath, size, 'iqn.2026-11.io.tandem:bench-source');
    servers.push(source.server);
    const replica = await serve(m, replicaPath, size, 'iqn.2026-11.io.tandem:bench-replica');
    servers.push(replica.server);

    const rounds = Math.max(1, options.rounds ?? 3);
    const algorithms = m.hasXxh3 ? (['sha256', 'xxh3'] as const) : (['sha256'] as const);
    const remoteRuns = { sha256: [] as number[], xxh3: [] as number[] };
    const localRuns = { sha256: [] as number[], xxh3: [] as number[] };
    const baselineRuns: number[] = [];
    let verifyWireBytes = 0;
    let readCompareWireBytes = 0;
    const timedVerify = async (sourceArg: string, algorithm: 'sha256' | 'xxh3') => {
      const r = await m.runVerify({ source: sourceArg, replica: replica.url, chunk: chunkBytes, algorithm });
      if (r.differingChunks !== 0) throw new Error(`bench volumes differ in ${r.differingChunks} chunks`);
      if (r.algorithm !== algorithm) throw new Error(`verify ran ${r.algorithm}, not ${algorithm}`);
      return r;
    };
    for (let round = 0; round < rounds; round++) {
      // Both algorithms in every round, so a shared machine's load hits them alike.
      for (const algorithm of algorithms) {
        const remote = await timedVerify(source.url, algorithm);
        remoteRuns[algorithm].push(remote.durationMs / 1000);
        const w = remote.wire;
        if (algorithm === 'sha256') verifyWireBytes = w.replica.total.bytesSent + w.replica.total.bytesReceived + (w.source ? w.source.total.bytesSent + w.source.total.bytesReceived : 0);
        localRuns[algorithm].push((await timedVerify(sourcePath, algorithm)).durationMs / 1000);
      }
      const baseline = await readAndCompare(m, source.url, replica.url, size);
      if (baseline.differing !== 0) throw new Error(`read-and-compare found ${baseline.differing} differing pieces`);
      baselineRuns.push(baseline.seconds);
      readCompareWireBytes = baseline.wire;
    }
    const gibps = (seconds: number): number => size / GiB / seconds;
    const verifySeconds = median(remoteRuns.sha256);
    const verifyLocalSeconds = median(localRuns.sha256);
    const readCompareSeconds = median(baselineRuns);
    const xxh3 = m.hasXxh3
      ? { verifySeconds: median(remoteRuns.xxh3), verifyLocalSeconds: median(localRuns.xxh3) }
      : undefined;
    return {
      sizeBytes: size,
      filledBytes: filled,
      chunkBytes,
      rounds,
      verifySeconds,
      verifyGiBps: gibps(verifySeconds),
      verifyWireBytes,
      verifyLocalSeconds,
      verifyLocalGiBps: gibps(verifyLocalSeconds),
      readCompareSeconds,
      readCompareGiBps: gibps(readCompareSeconds),
      readCompareWireBytes,
      ratio: readCompareSeconds / verifySeconds,
      ...(xxh3
        ? {
            xxh3: {
              ...xxh3,
              verifyGiBps: gibps(xxh3.verifySeconds),
              verifyLocalGiBps: gibps(xxh3.verifyLocalSeconds),
              speedup: verifySeconds / xxh3.verifySeconds,
              localSpeedup: verifyLocalSeconds / xxh3.verifyLocalSeconds,
            },
          }
        : {}),
    };
  } finally {
    await Promise.allSettled(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatVerifyBench(r: VerifyBenchResult): string {
  const mib = (b: number): string => `${(b / 1024 ** 2).toFixed(1)} MiB`;
  return [
    `verify bench: ${mib(r.sizeBytes)} volume (${mib(r.filledBytes)} random data), chunk ${r.chunkBytes / 1024} KiB, median of ${r.rounds} runs`,
    `  verify sha256 (target vs target)     ${r.verifyGiBps.toFixed(2)} GiB/s  ${r.verifySeconds.toFixed(2)} s  wire ${mib(r.verifyWireBytes)}`,
    `  verify sha256 (local file vs target) ${r.verifyLocalGiBps.toFixed(2)} GiB/s  ${r.verifyLocalSeconds.toFixed(2)} s`,
    ...(r.xxh3
      ? [
          `  verify xxh3 (target vs target)       ${r.xxh3.verifyGiBps.toFixed(2)} GiB/s  ${r.xxh3.verifySeconds.toFixed(2)} s`,
          `  verify xxh3 (local file vs target)   ${r.xxh3.verifyLocalGiBps.toFixed(2)} GiB/s  ${r.xxh3.verifyLocalSeconds.toFixed(2)} s`,
        ]
      : ['  verify xxh3                          not in this build (addon built without libxxhash-dev)']),
    `  read both + compare                  ${r.readCompareGiBps.toFixed(2)} GiB/s  ${r.readCompareSeconds.toFixed(2)} s  wire ${mib(r.readCompareWireBytes)}`,
    `  ratio verify sha256 / read-compare   ${r.ratio.toFixed(2)}x`,
    ...(r.xxh3 ? [`  ratio xxh3 / sha256                  ${r.xxh3.speedup.toFixed(2)}x target vs target, ${r.xxh3.localSpeedup.toFixed(2)}x local file vs target`] : []),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const size = arg('size');
  const filled = arg('filled');
  const rounds = arg('rounds');
  const result = await runVerifyBench({
    ...(rounds ? { rounds: Number(rounds) } : {}),
    ...(size ? { sizeBytes: parseSize(size, '--size') } : {}),
    ...(filled ? { filledBytes: parseSize(filled, '--filled') } : {}),
  });
  console.log(process.argv.includes('--json') ? JSON.stringify(result) : formatVerifyBench(result));
}
