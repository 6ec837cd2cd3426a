/**
 * `tandem verify` with no --source/--replica: the running primary verifies each replicated
 * LUN against its configured replica (its own image as the source) and sends back the
 * verify engine's reports, printed here as `tandem verify --source/--replica` prints them.
 * Exit codes as there: 0 identical, 1 differences, 2 usage, 3 failure (unreachable included).
 * With --repair the primary marks the differing chunks and runs a pass, which copies them as
 * it copies any change the backup lacks (0 once that pass is done).
 */
import type { VerifyLunReport } from '../../replication/control/handler.js';
import { ExitCode, formatReport } from '../verify/command.js';
import type { VerifyReport } from '../../verify/engine.js';
import { formatBytes, throttledProgress } from '../verify/progress.js';
import type { LunSelector } from '../../replication/control/protocol.js';
import { selecting } from './actions.js';
import { callControl, processIo, type AdminIo } from './call.js';

export interface ControlVerifyOptions {
  control: string;
  json?: boolean;
  /** Bytes per challenged extent. */
  chunk?: number;
  depth?: number;
  /** Copy the differing chunks to the replica by a pass. */
  repair?: boolean;
  select?: LunSelector;
}

export async function controlVerifyCommand(options: ControlVerifyOptions, io: AdminIo = processIo): Promise<number> {
  const request = {
    cmd: 'verify' as const,
    ...(options.chunk !== undefined ? { chunk: options.chunk } : {}),
    ...(options.depth !== undefined ? { depth: options.depth } : {}),
    ...(options.repair ? { repair: true } : {}),
    ...selecting(options),
  };
  const outcome = await callControl(options.control, request, io, throttledProgress((line) => io.err(line)));
  if (!outcome.ok) return outcome.exitCode === 2 ? ExitCode.USAGE : ExitCode.FAILED;
  const { reports } = outcome.result as { reports: VerifyLunReport[] };
  if (options.json) io.out(`${JSON.stringify(reports)}\n`);
  else io.out(reports.map((r) => `LUN ${r.target}/${r.lun}\n${formatReport(r.report as VerifyReport)}${r.repair ? repairedLine(r.repair) : ''}`).join('\n'));
  return reports.some((r) => (r.report as VerifyReport).differingChunks > 0 && !r.repair) ? ExitCode.DIFFERENT : ExitCode.OK;
}

function repairedLine(pass: NonNullable<VerifyLunReport['repair']>): string {
  return `repaired by a pass: ${pass.chunks} chunks marked, ${pass.sentChunks} sent (${formatBytes(pass.bytesSent)})${pass.unmappedChunks > 0 ? `, ${pass.unmappedChunks} deallocated` : ''}\n`;
}
