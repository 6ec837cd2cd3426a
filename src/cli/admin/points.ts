/**
 * The recovery-point commands: `tandem point create|export|expose|unexpose|restore` and `tandem points`.
 * Each prints one line per point or LUN (or one JSON object with --json) and returns the
 * exit code (0 done, 1 refused or failed, 2 misuse).
 */
import { resolve } from 'node:path';
import type { TargetPoints } from '../../replication/control/point-actions.js';
import type { PointResult } from '../../replication/points/consistency-group.js';
import { selecting, type AdminOptions } from './actions.js';
import { callControl, processIo, type AdminIo } from './call.js';

function print(io: AdminIo, json: boolean | undefined, result: unknown, lines: string[]): number {
  io.out(json ? `${JSON.stringify(result)}\n` : `${lines.join('\n')}\n`);
  return 0;
}

const when = (ms: number): string => new Date(ms).toISOString();

export async function pointCreateCommand(options: AdminOptions & { label?: string }, io: AdminIo = processIo): Promise<number> {
  const outcome = await callControl(options.control, { cmd: 'point-create', ...(options.label !== undefined ? { label: options.label } : {}), ...selecting(options) }, io);
  if (!outcome.ok) return outcome.exitCode;
  const r = outcome.result as { points: Array<PointResult & { target: string }> };
  return print(io, options.json, r, r.points.map((p) => `${p.id}`));
}

export async function pointsCommand(options: AdminOptions, io: AdminIo = processIo): Promise<number> {
  const outcome = await callControl(options.control, { cmd: 'points', ...selecting(options) }, io);
  if (!outcome.ok) return outcome.exitCode;
  const r = outcome.result as { targets: TargetPoints[] };
  const lines: string[] = [];
  for (const t of r.targets) {
    // Listed where asked, a primary's answer would read as "no recovery points": they are on its backup.
    const elsewhere = t.primary ? ' (a primary: the points it creates are kept on its backup; run tandem points there)' : '';
    lines.push(`${t.target} (LUN ${t.luns.join(', ')}): ${t.points.length} point${t.points.length === 1 ? '' : 's'}${t.incomplete.length ? `, incomplete: ${t.incomplete.join(', ')}` : ''}${elsewhere}`);
    for (const p of t.points) lines.push(`  ${String(p.id).padStart(6)}  ${when(p.at)}  ${p.origin.padEnd(9)}  ${String(p.bytes).padStart(12)} bytes${p.label ? `  ${p.label}` : ''}`);
  }
  return print(io, options.json, r, lines);
}

export async function pointExportCommand(options: AdminOptions & { id: number; to: string }, io: AdminIo = processIo): Promise<number> {
  const to = resolve(options.to);
  const outcome = await callControl(options.control, { cmd: 'point-export', id: options.id, to, ...selecting(options) }, io);
  if (!outcome.ok) return outcome.exitCode;
  const r = outcome.result as { id: number; to: string; bytes: number; allocatedBytes: number };
  return print(io, options.json, r, [`point ${r.id} written to ${r.to}: ${r.bytes} bytes (${r.allocatedBytes} allocated)`]);
}

export async function pointRestoreCommand(options: AdminOptions & { id: number }, io: AdminIo = processIo): Promise<number> {
  const outcome = await callControl(options.control, { cmd: 'point-restore', id: options.id, ...selecting(options) }, io);
  if (!outcome.ok) return outcome.exitCode;
  const r = outcome.result as { id: number; luns: Array<{ target: string; lun: number; changedBytes: number }> };
  return print(io, options.json, r, r.luns.map((l) => `${l.target}/${l.lun}: rolled back to point ${r.id} (${l.changedBytes} bytes changed; the pair resynchronises them)`));
}

export async function pointExposeCommand(options: AdminOptions & { id: number }, io: AdminIo = processIo): Promise<number> {
  const outcome = await callControl(options.control, { cmd: 'point-expose', id: options.id, ...selecting(options) }, io);
  if (!outcome.ok) return outcome.exitCode;
  const r = outcome.result as { target: string; lun: number; id: number; exposedLun: number };
  return print(io, options.json, r, [`point ${r.id} of ${r.target}/${r.lun} is served read-only as LUN ${r.exposedLun}`]);
}

export async function pointUnexposeCommand(options: AdminOptions & { id: number }, io: AdminIo = processIo): Promise<number> {
  const outcome = await callControl(options.control, { cmd: 'point-unexpose', id: options.id, ...selecting(options) }, io);
  if (!outcome.ok) return outcome.exitCode;
  const r = outcome.result as { id: number; removedLuns: number[] };
  return print(io, options.json, r, [`point ${r.id} no longer served (LUN ${r.removedLuns.join(', ')} removed)`]);
}
