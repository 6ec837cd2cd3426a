/**
 * `tandem verify` with no --source/--replica: the running primary verifies each replicated
 * LUN against its configured replica (its own image as the source) and sends back the
 * verify engine's reports, printed here as `tandem verify --source/--replica` prints them.
 * Exit codes as there: 0 identical, 1 differences, 2 usage, 3 failure (unreachable included).
 */
import type { VerifyLunReport } from '../../replication/control/handler.js';
import { ExitCode, formatReport } from '../verify/command.js';
import type { VerifyReport } from '../../verify/engine.js';
import { throttledProgress } from '../verify/progress.js';
import type { LunSelector } from '../../replication/control/protocol.js';
import { selecting } from './actions.js';
import { callControl, processIo, type AdminIo } from './call.js';

export interface ControlVerifyOptions {
  control: string;
  json?: boolean;
  /** Bytes per challenged extent. */
  chunk?: number;
  depth?: number;
  select?: LunSelector;
}

export async function controlVerifyCommand(options: ControlVerifyOptions, io: AdminIo = processIo): Promise<number> {
  const request = {
    cmd: 'verify' as const,
    ...(options.chunk !== undefined ? { chunk: options.chunk } : {}),
    ...(options.depth !== undefined ? { depth: options.depth } : {}),
    ...selecting(options),
  };
  const outcome = await callControl(options.control, request, io, throttledProgress((line) => io.err(line)));
  if (!outcome.ok) return outcome.exitCode === 2 ? ExitCode.USAGE : ExitCode.FAILED;
  const { reports } = outcome.result as { reports: VerifyLunReport[] };
  if (options.json) io.out(`${JSON.stringify(reports)}\n`);
  else io.out(reports.map((r) => `LUN ${r.target}/${r.lun}\n${formatReport(r.report as VerifyReport)}`).join('\n'));
  return reports.some((r) => (r.report as VerifyReport).differingChunks > 0) ? ExitCode.DIFFERENT : ExitCode.OK;
}
