/**
 * Slows down guessing CHAP secrets: each failed authentication from a source (an initiator
 * name, a peer address) holds back the failure response for longer, doubling from
 * `firstDelayMs` up to `maxDelayMs`, so a source cannot try secrets at line rate. A source
 * with no failure for `forgetAfterMs` starts over. At most `maxSources` sources are
 * remembered (the least recently failing one is forgotten first), so a flood of invented
 * initiator names cannot grow memory; the address entry an attacker keeps failing from stays
 * the most recent, so its own invented names do not push it out.
 */
export interface AuthFailureThrottleOptions {
  firstDelayMs?: number;
  maxDelayMs?: number;
  forgetAfterMs?: number;
  maxSources?: number;
  /** Milliseconds clock (tests inject one). */
  now?: () => number;
}

export const AUTH_FAILURE_FIRST_DELAY_MS = 500;
export const AUTH_FAILURE_MAX_DELAY_MS = 4000;
export const AUTH_FAILURE_FORGET_AFTER_MS = 10 * 60_000;
export const AUTH_FAILURE_MAX_SOURCES = 4096;

interface SourceRecord {
  failures: number;
  lastFailure: number;
}

export class AuthFailureThrottle {
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly forgetAfterMs: number;
  private readonly maxSources: number;
  private readonly now: () => number;
  /** Insertion order is the order of last failure: the first entry is the stalest. */
  private readonly sources = new Map<string, SourceRecord>();

  constructor(options: AuthFailureThrottleOptions = {}) {
    this.firstDelayMs = options.firstDelayMs ?? AUTH_FAILURE_FIRST_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? AUTH_FAILURE_MAX_DELAY_MS;
    this.forgetAfterMs = options.forgetAfterMs ?? AUTH_FAILURE_FORGET_AFTER_MS;
    this.maxSources = Math.max(1, options.maxSources ?? AUTH_FAILURE_MAX_SOURCES);
    this.now = options.now ?? Date.now;
  }

  /**
   * Records one failed authentication from each of `sources` (empty strings ignored) and
   * returns how long to hold back its failure response: the longest any of them has earned.
   */
  failed(sources: readonly string[]): number {
    const now = this.now();
    let delay = 0;
    for (const source of new Set(sources)) {
      if (!source) continue;
      const previous = this.current(source, now);
      const failures = (previous?.failures ?? 0) + 1;
      // Re-inserted so the map stays ordered by last failure.
      this.sources.delete(source);
      this.sources.set(source, { failures, lastFailure: now });
      delay = Math.max(delay, this.delayAfter(failures));
    }
    // Ordered by last failure, so the forgotten ones are at the front.
    for (const [source, r] of this.sources) {
      if (now - r.lastFailure < this.forgetAfterMs) break;
      this.sources.delete(source);
    }
    while (this.sources.size > this.maxSources) this.sources.delete(this.sources.keys().next().value!);
    return delay;
  }

  /** Failures remembered for `source` (0 once forgotten). */
  failures(source: string): number {
    return this.current(source, this.now())?.failures ?? 0;
  }

  /** Sources remembered (forgotten ones go at the next failure recorded). */
  get size(): number {
    return this.sources.size;
  }

  private current(source: string, now: number): SourceRecord | undefined {
    const r = this.sources.get(source);
    if (r && now - r.lastFailure >= this.forgetAfterMs) {
      this.sources.delete(source);
      return undefined;
    }
    return r;
  }

  private delayAfter(failures: number): number {
    // 2 ** 30 is past any sensible cap already; it keeps the power finite.
    return Math.min(this.maxDelayMs, this.firstDelayMs * 2 ** Math.min(failures - 1, 30));
  }
}

/** The sources a failed login from `initiatorName` at `peerHost` counts against. */
export function authFailureSources(initiatorName: string | undefined, peerHost: string | undefined): string[] {
  const sources: string[] = [];
  // iSCSI names compare without case (RFC 3722), so IQN.X and iqn.x are one source.
  if (initiatorName) sources.push(`name:${initiatorName.toLowerCase()}`);
  if (peerHost) sources.push(`addr:${peerHost}`);
  return sources;
}
