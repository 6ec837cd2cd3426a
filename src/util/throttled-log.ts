/**
 * A line that may repeat with every I/O (a failing or full disk answers each command the
 * same way): logged the first time, then at most once per interval for the same key, with
 * how many went unlogged since (`repeated`), so a stuck condition is a line every interval,
 * not a line per command.
 */
import type { Logger } from './log.js';

/** Keys kept at most (a LUN and an error code each): past it the record starts afresh. */
const MAX_KEYS = 1024;

export class ThrottledLog {
  private readonly keys = new Map<string, { loggedAt: number; unlogged: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    this.note('warn', key, fields, msg);
  }

  error(key: string, fields: Record<string, unknown>, msg: string): void {
    this.note('error', key, fields, msg);
  }

  private note(level: 'warn' | 'error', key: string, fields: Record<string, unknown>, msg: string): void {
    const at = this.now();
    const seen = this.keys.get(key);
    if (seen && at - seen.loggedAt < this.intervalMs) {
      seen.unlogged++;
      return;
    }
    this.log[level](seen?.unlogged ? { ...fields, repeated: seen.unlogged } : fields, msg);
    if (!seen && this.keys.size >= MAX_KEYS) this.keys.clear();
    this.keys.set(key, { loggedAt: at, unlogged: 0 });
  }
}
