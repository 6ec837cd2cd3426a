/**
 * The admin actions: `tandem mode set`, `replicate`, `pause`, `resume`, `config set`.
 * Each prints one line (or one JSON object with --json) and returns the exit code.
 */
import type { ContinuousFlavour, ReplicationMode } from '../../replication/status.js';
import type { PassReport } from '../../replication/control/handler.js';
import { UnknownKeyError, formatSetting, parseSetting } from '../../replication/control/settable.js';
import type { LunSelector } from '../../replication/control/protocol.js';
import { callControl, processIo, type AdminIo } from './call.js';

export interface AdminOptions {
  control: string;
  json?: boolean;
  /** --target/--lun: the replicated LUNs to act on (default all). */
  select?: LunSelector;
}

export function selecting(options: { select?: LunSelector }): { select?: LunSelector } {
  return options.select ? { select: options.select } : {};
}

function report(io: AdminIo, json: boolean | undefined, result: unknown, text: string): number {
  io.out(json ? `${JSON.stringify(result)}\n` : `${text}\n`);
  return 0;
}

export async function modeSetCommand(options: AdminOptions & { mode: ReplicationMode; flavour?: ContinuousFlavour }, io: AdminIo = processIo): Promise<number> {
  const outcome = await callControl(options.control, { cmd: 'mode', mode: options.mode, ...(options.flavour ? { flavour: options.flavour } : {}), ...selecting(options) }, io);
  if (!outcome.ok) return outcome.exitCode;
  const r = outcome.result as { states: Array<{ target: string; lun: number; state: string }> };
  const states = r.states.map((s) => `${s.target}/${s.lun} ${s.state}`).join(', ');
  return report(io, options.json, r, `mode ${options.mode}${options.flavour ? ` (${options.flavour})` : ''}: ${states}`);
}

export async function replicateCommand(options: AdminOptions, io: AdminIo = processIo): Promise<number> {
  // Progress on stderr, so stdout stays the report (or the one JSON object).
  const outcome = await callControl(options.control, { cmd: 'replicate', ...selecting(options) }, io, (done, total) => io.err(`replicate: ${done}/${total} chunks\n`));
  if (!outcome.ok) return outcome.exitCode;
  const r = outcome.result as { passes: PassReport[]; bytesSent: number };
  const lines = r.passes.map((p) => `${p.target}/${p.lun}: ${p.sentChunks}/${p.chunks} chunks, ${p.bytesSent} bytes in ${p.durationMs.toFixed(0)} ms`);
  return report(io, options.json, r, lines.join('\n'));
}

export async function pauseCommand(options: AdminOptions, io: AdminIo = processIo): Promise<number> {
  const outcome = await callControl(options.control, { cmd: 'pause', ...selecting(options) }, io);
  if (!outcome.ok) return outcome.exitCode;
  return report(io, options.json, outcome.result, 'replication paused (writes tracked in the delta table)');
}

export async function resumeCommand(options: AdminOptions, io: AdminIo = processIo): Promise<number> {
  const outcome = await callControl(options.control, { cmd: 'resume', ...selecting(options) }, io);
  if (!outcome.ok) return outcome.exitCode;
  return report(io, options.json, outcome.result, 'replication resumed');
}

export async function configSetCommand(options: AdminOptions & { key: string; value: string }, io: AdminIo = processIo): Promise<number> {
  // Checked here too, so a typo fails with exit 2 even when no server is running.
  let setting;
  try {
    setting = parseSetting(options.key, options.value);
  } catch (e) {
    io.err(`tandem: ${e instanceof UnknownKeyError ? e.message : `${options.key}: ${(e as Error).message}`}\n`);
    return 2;
  }
  const outcome = await callControl(options.control, { cmd: 'config-set', key: options.key, value: options.value, ...selecting(options) }, io);
  if (!outcome.ok) return outcome.exitCode;
  return report(io, options.json, outcome.result, `${setting.key} = ${formatSetting(setting)}`);
}
