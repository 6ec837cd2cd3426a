/**
 * What the block tests that need the real kernel (a loop device, a file system made for the
 * test) and the ones that watch a store's failures share.
 */
import { execFileSync } from 'node:child_process';
import { pino, type Logger } from 'pino';

/** Runs a command, its stdout trimmed; throws with its stderr when it fails. */
export const run = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** Whether loop devices and ext4 can be set up here (root, losetup and mkfs.ext4 present). */
export function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    run('losetup', '--version');
    run('mkfs.ext4', '-V');
    return true;
  } catch {
    return false;
  }
}

/** 'resolved', or 'rejected CODE': how a store call ended. */
export const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => `rejected ${e.code}`,
  );

/** A logger whose lines are kept, parsed. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}
