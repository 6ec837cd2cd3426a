/** Shared by the admin commands: send one control request, map failures to one line and an exit code. */
import { ControlUnreachableError, controlRequest } from '../../replication/control/client.js';
import type { ControlRequest } from '../../replication/control/protocol.js';

export interface AdminIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: AdminIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Exit code 2 for what the user typed wrong, 1 for everything else that failed. */
const USAGE_CODES = new Set(['bad-request', 'unknown-key', 'bad-value', 'no-such-lun']);

export type CallOutcome = { ok: true; result: unknown } | { ok: false; exitCode: number };

export async function callControl(path: string, request: ControlRequest, io: AdminIo, onProgress?: (done: number, total: number) => void): Promise<CallOutcome> {
  try {
    const response = await controlRequest(path, request, onProgress ? { onProgress } : {});
    if (response.ok) return { ok: true, result: response.result };
    io.err(`tandem: ${response.error}\n`);
    return { ok: false, exitCode: USAGE_CODES.has(response.code) ? 2 : 1 };
  } catch (e) {
    io.err(`tandem: ${e instanceof ControlUnreachableError ? e.message : `control request failed: ${(e as Error).message}`}\n`);
    return { ok: false, exitCode: 1 };
  }
}
