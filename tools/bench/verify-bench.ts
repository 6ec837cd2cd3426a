/**
 * Verify benchmark: two Tandem targets (in this process) on sparse files filled with the
 * same random data. Measures `verify` (batched challenges, source and replica both
 * targets, and source as a local file) against the plain alternative, reading both
 * volumes over iSCSI and comparing. Prints GiB/s of each and the ratio.
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

/** Loaded after the log level is set: module loggers copy the level when created. */
async function modules() {
  const [{ startServer }, { buildServeSettings }, { runVerify }, { connectUrl, parseUrlArgument }] = await Promise.all([
    import('../../src/cli/serve.js'),
    import('../../src/cli/serve-options.js'),
    import('../../src/verify/run.js'),
    import('../../src/verify/connect.js'),
  ]);
  return { startServer, buildServeSettings, runVerify, connectUrl, parseUrlArgument };
}
type Modules = Awaited<ReturnType<typeof modules>>;

export interface VerifyBenchOptions {
  /** Volume size (default 1 GiB). */
  sizeBytes?: number;
  /** Bytes of random data from the start (default: all); the rest stays sparse zeroes. */
  filledBytes?: number;
  chunkBytes?: number;
  /** Each figure is the median of this many runs (default 3), the three kinds interleaved. */
  rounds?: number;
}

export interface VerifyBenchResult {
  sizeBytes: number;
  filledBytes: number;
  chunkBytes: number;
  rounds: number;
  /** Source and replica are both targets. */
  verifySeconds: number;
  verifyGiBps: number;
  verifyWireBytes: number;
  /** Source is the local image file. */
  verifyLocalSeconds: number;
  verifyLocalGiBps: number;
  readCompareSeconds: number;
  readCompareGiBps: number;
  readCompareWireBytes: number;
  /** verify GiB/s ÷ read-and-compare GiB/s (target-to-target verify). */
  ratio: number;
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
    const remoteRuns: number[] = [];
    const localRuns: number[] = [];
    const baselineRuns: number[] = [];
    let verifyWireBytes = 0;
    let readCompareWireBytes = 0;
    for (let round = 0; round < rounds; round++) {
      const remote = await m.runVerify({ source: source.url, replica: replica.url, chunk: chunkBytes });
      if (remote.differingChunks !== 0) throw new Error(`bench volumes differ in ${remote.differingChunks} chunks`);
      remoteRuns.push(remote.durationMs / 1000);
      const w = remote.wire;
      verifyWireBytes = w.replica.total.bytesSent + w.replica.total.bytesReceived + (w.source ? w.source.total.bytesSent + w.source.total.bytesReceived : 0);
      const local = await m.runVerify({ source: sourcePath, replica: replica.url, chunk: chunkBytes });
      if (local.differingChunks !== 0) throw new Error(`bench volumes differ in ${local.differingChunks} chunks`);
      localRuns.push(local.durationMs / 1000);
      const baseline = await readAndCompare(m, source.url, replica.url, size);
      if (baseline.differing !== 0) throw new Error(`read-and-compare found ${baseline.differing} differing pieces`);
      baselineRuns.push(baseline.seconds);
      readCompareWireBytes = baseline.wire;
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const gibps = (seconds: number): number => size / GiB / seconds;
    const verifySeconds = median(remoteRuns);
    const verifyLocalSeconds = median(localRuns);
    const readCompareSeconds = median(baselineRuns);
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
    `  verify (target vs target)   ${r.verifyGiBps.toFixed(2)} GiB/s  ${r.verifySeconds.toFixed(2)} s  wire ${mib(r.verifyWireBytes)}`,
    `  verify (local file vs target) ${r.verifyLocalGiBps.toFixed(2)} GiB/s  ${r.verifyLocalSeconds.toFixed(2)} s`,
    `  read both + compare         ${r.readCompareGiBps.toFixed(2)} GiB/s  ${r.readCompareSeconds.toFixed(2)} s  wire ${mib(r.readCompareWireBytes)}`,
    `  ratio verify / read-compare ${r.ratio.toFixed(2)}x`,
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
