/** `tandem status [--json] [--watch]`: the control API's status, as a table or JSON (one line per sample). */
import type { AnyServerStatus } from '../../replication/control/handler.js';
import { callControl, processIo, type AdminIo } from './call.js';
import { formatStatus } from './format-status.js';

export interface StatusOptions {
  control: string;
  json: boolean;
  watch: boolean;
  intervalMs?: number;
  /** Watch only: stop after this many samples (tests); default until interrupted. */
  samples?: number;
}

export async function statusCommand(options: StatusOptions, io: AdminIo = processIo): Promise<number> {
  const limit = options.watch ? (options.samples ?? Infinity) : 1;
  for (let n = 0; n < limit; n++) {
    if (n > 0) await new Promise((r) => setTimeout(r, options.intervalMs ?? 1000));
    const outcome = await callControl(options.control, { cmd: 'status' }, io);
    if (!outcome.ok) return outcome.exitCode;
    const status = outcome.result as AnyServerStatus;
    // A plain target's role is null, not missing: scripts read the key on every server.
    if (options.json) io.out(`${JSON.stringify({ ...status, role: status.role ?? null })}\n`);
    // Watching a table: redraw in place (clear screen, cursor home).
    else io.out(`${options.watch ? '\x1b[2J\x1b[H' : ''}${formatStatus(status)}`);
  }
  return 0;
}
