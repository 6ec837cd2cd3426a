/**
 * `tandem verify`: runs the engine with a progress display on stderr and prints the
 * report (human text, or one JSON object). Exit codes: 0 identical (or all differences
 * repaired), 1 differences left, 2 usage error, 3 any other failure.
 */
import { UsageError } from '../../util/usage-error.js';
import { formatBytes, progressSink, type StreamLike } from './progress.js';
import { runVerify } from '../../verify/run.js';
import { RbdBlockStore } from '../../block/rbd-store.js';
import { isRbdPath, parseRbdSource } from '../rbd-lun.js';
import type { VerifyReport } from '../../verify/engine.js';

export interface VerifyArgs {
  source: string;
  replica: string;
  chunk: string;
  repair: boolean;
  json: boolean;
  depth?: number;
  /** --algorithm sha256|xxh3: force the challenge algorithm. */
  algorithm?: string;
}

export interface CommandIo {
  stdout: StreamLike;
  stderr: StreamLike;
}

export const ExitCode = { OK: 0, DIFFERENT: 1, USAGE: 2, FAILED: 3 } as const;

/** Human output lists this many extents; --json lists them all. */
const LISTED_EXTENTS = 100;

export function formatReport(r: VerifyReport): string {
  const seconds = r.durationMs / 1000;
  const lines = [
    `source   ${r.source}`,
    `replica  ${r.replica}`,
    `volume   ${formatBytes(r.volumeBytes)} (${r.volumeBytes / r.blockSize} blocks of ${r.blockSize}), chunk ${formatBytes(r.chunkBytes)}`,
    ...(r.replicaBeyondBytes > 0 ? [`beyond   the replica's last ${formatBytes(r.replicaBeyondBytes)} lie past the source's end: not compared`] : []),
    `checked  ${r.chunksChecked} chunks in ${seconds.toFixed(2)} s (${formatBytes(seconds > 0 ? r.volumeBytes / seconds : 0)}/s) by ${r.algorithm}`,
    ...(r.unallocatedChunks > 0 ? [`holes    ${r.unallocatedChunks} of them deallocated on both ends: zeroes on both, not challenged`] : []),
    `differ   ${r.differingChunks} chunks in ${r.differing.length} extents`,
  ];
  for (const e of r.differing.slice(0, LISTED_EXTENTS)) lines.push(`  lba ${e.lba} blocks ${e.blocks}`);
  if (r.differing.length > LISTED_EXTENTS) lines.push(`  ... and ${r.differing.length - LISTED_EXTENTS} more (use --json for all)`);
  // A running pair's: not counted as differing (the exit status ignores them).
  if (r.live && r.live.pendingChunks > 0) lines.push(`pending  ${r.live.pendingChunks} chunks marked for the pair's next pass (known to differ)`);
  if (r.live && r.live.settledChunks > 0) lines.push(`settled  ${r.live.settledChunks} chunks differed while being written, equal once the backup caught up`);
  if (r.bytesRepaired > 0) lines.push(`repaired ${formatBytes(r.bytesRepaired)}`);
  const wire = (name: string, w: { total: { bytesSent: number; bytesReceived: number } } | undefined): void => {
    if (w) lines.push(`wire     ${name}: sent ${formatBytes(w.total.bytesSent)}, received ${formatBytes(w.total.bytesReceived)}`);
  };
  wire('replica', r.wire.replica);
  wire('source', r.wire.source);
  return `${lines.join('\n')}\n`;
}

export async function verifyCommand(args: VerifyArgs, io: CommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  // An RBD image as the source: read through librbd, read-only.
  const rbdSource = isRbdPath(args.source) ? parseRbdSource(args.source, '--source') : undefined;
  const sink = progressSink(io.stderr);
  try {
    let last: Parameters<typeof sink.finish>[0] | undefined;
    const report = await runVerify({
      source: args.source,
      ...(rbdSource ? { openSource: () => RbdBlockStore.open({ ...rbdSource.rbd, readOnly: true }) } : {}),
      replica: args.replica,
      chunk: args.chunk,
      repair: args.repair,
      ...(args.depth !== undefined ? { depth: args.depth } : {}),
      ...(args.algorithm !== undefined ? { algorithm: args.algorithm } : {}),
      onProgress: (p) => {
        last = p;
        sink.update(p);
      },
    });
    if (last) sink.finish(last);
    io.stdout.write(args.json ? `${JSON.stringify(report)}\n` : formatReport(report));
    return report.differingChunks > 0 && !args.repair ? ExitCode.DIFFERENT : ExitCode.OK;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    io.stderr.write(`tandem verify: ${(e as Error).message}\n`);
    return ExitCode.FAILED;
  }
}
