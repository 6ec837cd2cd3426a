/**
 * The first-sync benchmark (issue 11 item 6, seed 004): a thin primary (default 64 GiB)
 * holding scattered data (default 256 MiB) synced onto an empty thin backup, both `tandem
 * serve` children on loopback, the sync run by `tandem replicate`. Reported against copying
 * the same data in the same run: the same pieces read from the primary's image file and
 * written over iSCSI (WRITE(16), 1 MiB, 8 in flight, as the replicator) onto a fresh thin
 * backup-role LUN, so through the same write path the sync uses. The goal: the sync's pass
 * within 2x the copy, and the backup's allocated size within 1% of the primary's.
 *
 * Run alone: `node dist-tools/tools/bench/first-sync-bench.js [--size 64GiB] [--data 256MiB] [--json]`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_REPLICATOR_IQN } from '../../src/cli/replication-options.js';
import type { PassReport } from '../../src/replication/control/handler.js';
import { HOST, replicateCli, serve } from './serve-process.js';

export interface FirstSyncBenchOptions {
  /** Volume size in bytes. Default 64 GiB. */
  sizeBytes?: number;
  /** Data on the primary in bytes. Default 256 MiB. */
  dataBytes?: number;
  log?: (line: string) => void;
}

export interface FirstSyncBenchResult {
  sizeBytes: number;
  dataBytes: number;
  pieces: number;
  /** Wall time of `tandem replicate` (the first sync), and the pass's own duration. */
  syncMs: number;
  passMs: number;
  copyMs: number;
  /** passMs / copyMs: at most 2 is the goal (syncMs adds starting the `tandem replicate` process). */
  timeRatio: number;
  pass: Pick<PassReport, 'chunks' | 'sentChunks' | 'bytesSent' | 'skippedChunks' | 'sentWithoutChallengeChunks' | 'unmappedChunks' | 'challengedChunks' | 'allocationQueries'>;
  primaryAllocated: number;
  backupAllocated: number;
  /** backupAllocated / primaryAllocated: within 0.99-1.01 is the goal. */
  allocatedRatio: number;
}

const BACKUP_IQN = 'iqn.2026-11.io.tandem:first-sync-backup';
const PRIMARY_IQN = 'iqn.2026-11.io.tandem:first-sync-primary';
const COPY_IQN = 'iqn.2026-11.io.tandem:first-sync-copy';
const MiB = 1024 * 1024;
const BLOCK = 4096;
const COPY_WRITE = MiB;
const COPY_DEPTH = 8;

interface Piece {
  offset: number;
  length: number;
}

/**
 * Pieces of 4 KiB to 2 MiB (4 KiB-aligned, mostly not chunk-aligned: partly allocated chunks
 * are the usual case) in distinct slots spread over the volume, `dataBytes` in all.
 */
function layout(size: number, dataBytes: number): Piece[] {
  const pieces: Piece[] = [];
  for (let left = dataBytes; left > 0; ) {
    const length = Math.min(left, BLOCK * randomInt(1, (2 * MiB) / BLOCK + 1));
    pieces.push({ offset: 0, length });
    left -= length;
  }
  const slot = Math.floor(size / pieces.length / BLOCK) * BLOCK;
  for (const [i, p] of pieces.entries()) p.offset = i * slot + BLOCK * randomInt(0, (slot - p.length) / BLOCK + 1);
  return pieces;
}

function writePieces(path: string, pieces: readonly Piece[]): void {
  const fd = openSync(path, 'r+');
  try {
    for (const p of pieces) writeSync(fd, randomBytes(p.length), 0, p.length, p.offset);
    // Data at rest, as on a primary that has been running: the sync's own durability steps
    // (the primary's image is flushed before the delta table's clears are written) must not
    // pay for writing back the setup's page cache, which the copy baseline never does.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The baseline: the pieces read from `image` and written over iSCSI to LUN 0 at `port`, COPY_DEPTH writes in flight. */
async function copyOverIscsi(image: string, port: number, pieces: readonly Piece[]): Promise<number> {
  const { IscsiSession } = await import('../../src/initiator/index.js');
  // The replicator's name: a backup takes writes from it only.
  const session = await IscsiSession.connect({ host: HOST, port, targetName: COPY_IQN, initiatorName: DEFAULT_REPLICATOR_IQN });
  const fd = openSync(image, 'r');
  try {
    await session.waitReady(0);
    const writes = pieces.flatMap((p) => {
      const out: Piece[] = [];
      for (let at = 0; at < p.length; at += COPY_WRITE) out.push({ offset: p.offset + at, length: Math.min(COPY_WRITE, p.length - at) });
      return out;
    });
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      for (let w = writes[next++]; w; w = writes[next++]) {
        const buf = Buffer.allocUnsafe(w.length);
        readSync(fd, buf, 0, w.length, w.offset);
        await session.write16(0, w.offset / 512, buf);
      }
    };
    await Promise.all(Array.from({ length: COPY_DEPTH }, worker));
    await session.synchronizeCache(0);
    return performance.now() - started;
  } finally {
    closeSync(fd);
    await session.logout().catch(() => undefined);
  }
}

const allocated = (path: string): number => statSync(path).blocks * 512;

export async function runFirstSyncBench(options: FirstSyncBenchOptions = {}): Promise<FirstSyncBenchResult> {
  const size = options.sizeBytes ?? 64 * 1024 * MiB;
  const dataBytes = options.dataBytes ?? 256 * MiB;
  const log = options.log ?? (() => undefined);
  const work = mkdtempSync(join(tmpdir(), 'tandem-first-sync-bench-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    const primaryImage = join(work, 'primary.img');
    const backupImage = join(work, 'backup.img');
    const pieces = layout(size, dataBytes);
    closeSync(openSync(primaryImage, 'w'));
    writePieces(primaryImage, pieces);
    log(`primary: ${pieces.length} pieces, ${dataBytes / MiB} MiB of data on a ${size / 1024 / MiB} GiB thin image`);

    const copyTarget = await serve(work, 'copy', ['--role', 'backup', '--iqn', COPY_IQN, '--lun', `${join(work, 'copy.img')},size=${size}`]);
    let copyMs: number;
    try {
      copyMs = await copyOverIscsi(primaryImage, copyTarget.port, pieces);
    } finally {
      await copyTarget.stop();
    }
    log(`copy of the data over iSCSI: ${copyMs.toFixed(0)} ms`);

    const backup = await serve(work, 'backup', ['--role', 'backup', '--iqn', BACKUP_IQN, '--lun', `${backupImage},size=${size}`]);
    stops.push(backup.stop);
    const primary = await serve(work, 'primary', [
      '--role', 'primary', '--iqn', PRIMARY_IQN, '--lun', `${primaryImage},size=${size}`,
      '--replica', `iscsi://${HOST}:${backup.port}/${BACKUP_IQN}/0`, '--replication-mode', 'delta',
    ]);
    stops.push(primary.stop);
    const started = performance.now();
    const report = await replicateCli(primary.control);
    const syncMs = performance.now() - started;
    const pass = report.passes[0]!;
    log(`first sync: ${syncMs.toFixed(0)} ms (pass ${pass.durationMs.toFixed(0)} ms), ${pass.sentChunks} chunks sent, ${pass.skippedChunks} skipped`);

    const primaryAllocated = allocated(primaryImage);
    const backupAllocated = allocated(backupImage);
    return {
      sizeBytes: size,
      dataBytes,
      pieces: pieces.length,
      syncMs: Math.round(syncMs),
      passMs: Math.round(pass.durationMs),
      copyMs: Math.round(copyMs),
      timeRatio: Number((pass.durationMs / copyMs).toFixed(2)),
      pass: {
        chunks: pass.chunks,
        sentChunks: pass.sentChunks,
        bytesSent: pass.bytesSent,
        skippedChunks: pass.skippedChunks,
        sentWithoutChallengeChunks: pass.sentWithoutChallengeChunks,
        unmappedChunks: pass.unmappedChunks,
        challengedChunks: pass.challengedChunks,
        allocationQueries: pass.allocationQueries,
      },
      primaryAllocated,
      backupAllocated,
      allocatedRatio: Number((backupAllocated / primaryAllocated).toFixed(4)),
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

export function formatFirstSyncBench(r: FirstSyncBenchResult): string {
  const p = r.pass;
  return [
    `first sync: ${r.dataBytes / MiB} MiB in ${r.pieces} pieces on a ${r.sizeBytes / 1024 / MiB} GiB thin primary, onto an empty thin backup`,
    `  pass ${r.passMs} ms (tandem replicate ${r.syncMs} ms) vs copying the data over iSCSI ${r.copyMs} ms: ratio ${r.timeRatio.toFixed(2)} (goal <= 2)`,
    `  chunks ${p.chunks}: sent ${p.sentChunks} (${p.sentWithoutChallengeChunks} without a challenge), skipped ${p.skippedChunks}, unmapped ${p.unmappedChunks}, challenged ${p.challengedChunks}; ${p.bytesSent} bytes sent; ${p.allocationQueries} GET LBA STATUS`,
    `  allocated: primary ${r.primaryAllocated} bytes, backup ${r.backupAllocated} bytes: ratio ${r.allocatedRatio.toFixed(4)} (goal within 1%)`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { toolArgs } = await import('../harness/tool-args.js');
  const { parseSize } = await import('../../src/util/parse-size.js');
  const { setLogLevel } = await import('../../src/util/log.js');
  setLogLevel(process.env.TANDEM_LOG_LEVEL ?? 'warn');
  const argv = await toolArgs()
    .option('size', { type: 'string', default: '64GiB' })
    .option('data', { type: 'string', default: '256MiB' })
    .option('json', { type: 'boolean', default: false })
    .parseAsync();
  const result = await runFirstSyncBench({
    sizeBytes: parseSize(argv.size, '--size'),
    dataBytes: parseSize(argv.data, '--data'),
    log: argv.json ? undefined : (l) => console.log(l),
  });
  console.log(argv.json ? JSON.stringify(result, null, 2) : `\n${formatFirstSyncBench(result)}`);
}
