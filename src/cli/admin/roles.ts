/**
 * The role commands: `tandem promote [--force]`, `demote`, `switchover`, `resolve
 * --discard-local`. Each prints one line per LUN (or one JSON object with --json); a change
 * the server refuses is one line on stderr and exit 1.
 */
import { callControl, processIo, type AdminIo } from './call.js';
import { selecting, type AdminOptions } from './actions.js';
import type { ControlRequest } from '../../replication/control/protocol.js';

interface RoleResult {
  target: string;
  lun: number;
  role: string;
  generation?: string;
  newestWriteAt?: number;
  heldMs?: number;
  discardedBytes?: number;
  /** Already in the role the command leads to (another LUN was not): left as it was. */
  unchanged?: boolean;
}

async function roleCommand(options: AdminOptions, request: ControlRequest, line: (r: RoleResult) => string, io: AdminIo): Promise<number> {
  const outcome = await callControl(options.control, request, io);
  if (!outcome.ok) return outcome.exitCode;
  const result = outcome.result as { luns: RoleResult[] };
  const text = (r: RoleResult) => `${r.target}/${r.lun}: ${r.unchanged ? `already ${r.role}, left as it was` : line(r)}`;
  io.out(options.json ? `${JSON.stringify(result)}\n` : `${result.luns.map(text).join('\n')}\n`);
  return 0;
}

export function promoteCommand(options: AdminOptions & { force: boolean }, io: AdminIo = processIo): Promise<number> {
  return roleCommand(
    options,
    { cmd: 'promote', force: options.force, ...selecting(options) },
    (r) => `promoted to primary (generation ${r.generation}); holds writes up to ${r.newestWriteAt !== undefined ? new Date(r.newestWriteAt).toISOString() : 'an unknown time'}`,
    io,
  );
}

export function demoteCommand(options: AdminOptions, io: AdminIo = processIo): Promise<number> {
  return roleCommand(options, { cmd: 'demote', ...selecting(options) }, () => 'demoted to backup: it will be resynchronised from its peer', io);
}

export function switchoverCommand(options: AdminOptions, io: AdminIo = processIo): Promise<number> {
  return roleCommand(options, { cmd: 'switchover', ...selecting(options) }, (r) => `switched over: this node is a backup, the peer the primary; host writes held ${r.heldMs} ms`, io);
}

export function resolveCommand(options: AdminOptions, io: AdminIo = processIo): Promise<number> {
  return roleCommand(
    options,
    { cmd: 'resolve', discardLocal: true, ...selecting(options) },
    (r) => `split brain resolved here: ${r.discardedBytes} bytes of local changes will be overwritten from the peer (now ${r.role})`,
    io,
  );
}
