/**
 * A session that survives connection loss: it logs in again (same ISID, so the target
 * reinstates and cleans up the old session) with exponential backoff, and re-issues
 * commands the old connection lost, but only when that cannot change the outcome:
 *  - commands that never reached the wire are always re-issued;
 *  - commands that may have executed are re-issued only when idempotent (reads and other
 *    side-effect-free opcodes by default, or `idempotent: true` from the caller);
 *  - any other lost command rejects with IscsiConnectionError whose maybeExecuted is
 *    true, so the caller knows exactly which writes are in doubt.
 * Writes are not idempotent by default: re-issuing one after a later overlapping write
 * completed would roll the data back. After a re-login the UNIT ATTENTION each used LUN
 * reports for the new nexus is consumed (TEST UNIT READY) before commands resume.
 */
import { isIdempotentCdb } from './cdb.js';
import type { CommandRequest, CommandResult } from './command-types.js';
import { CommandAbortedError, IscsiConnectionError, IscsiLoginError } from './errors.js';
import { ScsiCommands } from './scsi-commands.js';
import { IscsiSession, randomIsid, type SessionOptions } from './session.js';
import type { WireStats } from './transport.js';
import { DEFAULT_ISCSI_PORT } from './url.js';
import { moduleLogger, type Logger } from '../util/log.js';

const moduleLog = moduleLogger('initiator');

export const MAX_ISSUES_PER_COMMAND = 5;

export interface ReconnectPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Commands waiting for a connection fail after the target has been unreachable this long. */
  giveUpAfterMs: number;
}

export const DEFAULT_RECONNECT_POLICY: Readonly<ReconnectPolicy> = Object.freeze({
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  giveUpAfterMs: 60_000,
});

export interface ReconnectingSessionOptions extends SessionOptions {
  reconnect?: Partial<ReconnectPolicy>;
  /** Called after each successful re-login. */
  onReconnect?: (session: IscsiSession, attempts: number) => void;
  /** Where reconnects are logged (default: the initiator module's logger). */
  logger?: Logger;
}

/** Delay before attempt `n` (0-based): exponential, capped, with ±25% jitter against herds. */
export function backoffDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.75 + random() * 0.5));
}

function closedError(): IscsiConnectionError {
  return new IscsiConnectionError('session is closed', { maybeExecuted: false });
}

/** Login failures no retry can fix: wrong credentials, unknown target. */
function isPermanent(e: unknown): boolean {
  return e instanceof IscsiLoginError && e.refusedInitiator;
}

/** A command as submitted, kept across its re-issues. */
interface Submission {
  request: CommandRequest;
  idempotent: boolean;
  /** reissueEpoch when it was submitted. */
  epoch: number;
  /** Submission order. */
  seq: number;
}

export class ReconnectingSession extends ScsiCommands {
  private session: IscsiSession | undefined;
  private connecting: Promise<IscsiSession> | undefined;
  private closing = false;
  private readonly retired: WireStats = { bytesSent: 0, bytesReceived: 0, pdusSent: 0, pdusReceived: 0 };
  private readonly policy: ReconnectPolicy;
  /** LUNs commands went to; their reconnect unit attentions are cleared before commands resume. */
  private readonly lunsUsed = new Set<number>();
  private readonly options: ReconnectingSessionOptions;
  private readonly log: Logger;
  /** Number of successful logins after the first. */
  reconnects = 0;
  /** Commands issued before the last stopReissues() are not issued again after a connection loss. */
  private reissueEpoch = 0;
  private nextSeq = 0;
  /** Commands waiting for a session, by submission order (see issueWhenConnected). */
  private readonly waiting: Array<{ seq: number; issue: (session: IscsiSession) => void; fail: (e: unknown) => void }> = [];
  /** Since when logins keep failing (across reconnect loops that gave up): one line per outage, not per attempt. */
  private failingSince: number | undefined;
  /** Where logins start: the address given, until a permanent login redirect moves the target (temporary ones are per login). */
  private portal: { host: string; port: number };

  private constructor(options: ReconnectingSessionOptions) {
    super();
    this.options = { ...options, isid: options.isid ?? randomIsid() };
    this.portal = { host: options.host, port: options.port ?? DEFAULT_ISCSI_PORT };
    this.policy = { ...DEFAULT_RECONNECT_POLICY, ...options.reconnect };
    this.log = options.logger ?? moduleLog;
  }

  /** The first login must succeed; later losses are repaired in the background. */
  static async connect(options: ReconnectingSessionOptions): Promise<ReconnectingSession> {
    const r = new ReconnectingSession(options);
    r.adopt(await r.connectSession());
    return r;
  }

  /** The live session, if any (for abortTask/lunReset/ping on the current connection). */
  get current(): IscsiSession | undefined {
    return this.session?.isOpen ? this.session : undefined;
  }

  /** Wire counters summed over every connection this session has used. */
  get stats(): WireStats {
    const live = this.session?.stats;
    return {
      bytesSent: this.retired.bytesSent + (live?.bytesSent ?? 0),
      bytesReceived: this.retired.bytesReceived + (live?.bytesReceived ?? 0),
      pdusSent: this.retired.pdusSent + (live?.pdusSent ?? 0),
      pdusReceived: this.retired.pdusReceived + (live?.pdusReceived ?? 0),
    };
  }

  command(request: CommandRequest): Promise<CommandResult> {
    this.lunsUsed.add(request.lun);
    const submission: Submission = {
      request,
      idempotent: request.idempotent ?? isIdempotentCdb(request.cdb),
      epoch: this.reissueEpoch,
      seq: this.nextSeq++,
    };
    // Submit synchronously while a connection is up (and nothing older waits for one), so pipelined callers keep their order.
    const live = this.waiting.length === 0 ? this.current : undefined;
    return live ? this.issue(live, submission, 1) : this.issueWhenConnected(submission, 1);
  }

  /**
   * The commands issued so far are not issued again if their connection is lost: they fail
   * instead (a replica batch sent before an earlier one was known to have failed must not run
   * on the next session, whose nexus starts with no fence).
   */
  stopReissues(): void {
    this.reissueEpoch++;
  }

  private async issue(session: IscsiSession, submission: Submission, attempt: number): Promise<CommandResult> {
    const { request } = submission;
    try {
      return await session.command(request);
    } catch (e) {
      const lost = e instanceof IscsiConnectionError || (e instanceof CommandAbortedError && !e.maybeExecuted && !request.signal?.aborted);
      const mayRetry = lost && (submission.idempotent || (e as IscsiConnectionError | CommandAbortedError).maybeExecuted === false);
      // A command that keeps killing connections is not retried forever.
      if (!mayRetry || this.closing || submission.epoch !== this.reissueEpoch || attempt >= MAX_ISSUES_PER_COMMAND) throw e;
      return this.issueWhenConnected(submission, attempt + 1);
    }
  }

  /**
   * Issues the command once there is a session. The waiting commands go out together, in
   * submission order rather than arrival order: a command lost with a connection comes back
   * here after later ones may have started waiting (behind a session logging out), and must
   * still reach the wire first.
   */
  private issueWhenConnected(submission: Submission, attempt: number): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      let i = this.waiting.length;
      while (i > 0 && this.waiting[i - 1]!.seq > submission.seq) i--;
      // issue() sends synchronously, so the loop below puts them on the wire in this order.
      this.waiting.splice(i, 0, { seq: submission.seq, issue: (session) => resolve(this.issue(session, submission, attempt)), fail: reject });
      this.ready().then(
        (session) => {
          for (const w of this.waiting.splice(0)) w.issue(session);
        },
        (e: unknown) => {
          for (const w of this.waiting.splice(0)) w.fail(e);
        },
      );
    });
  }

  /** Logs out and stops reconnecting. */
  async logout(): Promise<void> {
    this.closing = true;
    await this.connecting?.catch(() => undefined);
    await this.session?.logout();
  }

  /** Drops the connection without logging out and stops reconnecting. */
  destroy(): void {
    this.closing = true;
    this.session?.destroy();
  }

  private async connectSession(): Promise<IscsiSession> {
    const session = await IscsiSession.connect({ ...this.options, ...this.portal });
    if (session.movedTo) this.portal = { ...session.movedTo };
    return session;
  }

  private adopt(session: IscsiSession): void {
    this.session = session;
    void session.closed.then(() => {
      this.retire(session);
      if (!this.closing) void this.ready().catch(() => undefined);
    });
  }

  private retire(session: IscsiSession): void {
    if (this.session !== session) return;
    const s = session.stats;
    this.retired.bytesSent += s.bytesSent;
    this.retired.bytesReceived += s.bytesReceived;
    this.retired.pdusSent += s.pdusSent;
    this.retired.pdusReceived += s.pdusReceived;
    this.session = undefined;
  }

  /**
   * The new I_T nexus starts with UNIT ATTENTION (power on / nexus loss) on every LUN:
   * an artifact of our reconnect, not news for the caller, and it would fail the
   * re-issued commands. Consumed here with TEST UNIT READY.
   */
  private async clearReconnectAttentions(session: IscsiSession): Promise<void> {
    for (const lun of this.lunsUsed) {
      try {
        await session.waitReady(lun);
      } catch (e) {
        // NOT READY and the like are the commands' business; a lost connection is ours.
        if (e instanceof IscsiConnectionError) throw e;
      }
    }
  }

  private ready(): Promise<IscsiSession> {
    if (this.session?.isOpen) return Promise.resolve(this.session);
    if (this.closing) return Promise.reject(closedError());
    if (!this.connecting) {
      this.connecting = this.reconnect().finally(() => (this.connecting = undefined));
    }
    return this.connecting;
  }

  private async reconnect(): Promise<IscsiSession> {
    const old = this.session;
    if (old) {
      // A session logging out (the target asked) still runs earlier commands: a new nexus
      // beside it would run later ones unordered with them, and its same-ISID login could
      // end the old session under them. It stays this.session, for logout() and destroy().
      await old.closed;
      this.retire(old);
    }
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (this.closing) throw closedError();
      try {
        const session = await this.connectSession();
        await this.clearReconnectAttentions(session);
        if (this.closing) {
          // destroy() or logout() came during the login: nothing else would ever close this one.
          session.destroy();
          continue; // to the closing check above
        }
        this.reconnects++;
        const unreachableMs = this.failingSince !== undefined ? Date.now() - this.failingSince : undefined;
        this.failingSince = undefined;
        this.log.info({ target: this.options.targetName, attempts: attempt + 1, ...(unreachableMs !== undefined ? { unreachableMs } : {}) }, 'reconnected');
        this.adopt(session);
        this.options.onReconnect?.(session, attempt + 1);
        return session;
      } catch (e) {
        if (isPermanent(e)) throw e;
        if (this.closing) continue; // no backoff: the check above ends it
        const delay = backoffDelay(this.policy, attempt);
        if (Date.now() + delay - started > this.policy.giveUpAfterMs) {
          throw new IscsiConnectionError(`target unreachable for ${Date.now() - started} ms`, { cause: e, maybeExecuted: false });
        }
        // The first failure of an outage at info (its end says how long it lasted); the retries at debug.
        const first = this.failingSince === undefined;
        this.failingSince ??= Date.now();
        this.log[first ? 'info' : 'debug']({ target: this.options.targetName, attempt: attempt + 1, delayMs: delay, error: (e as Error).message }, 'reconnect failed');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
