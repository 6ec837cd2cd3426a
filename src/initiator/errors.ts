/** Typed failures of the initiator; callers switch on the class, never on message text. */
import type { ParsedSense } from './sense-parse.js';

/** The target refused the login (RFC 7143 §11.13.5), or the login exchange broke the protocol. */
export class IscsiLoginError extends Error {
  constructor(
    message: string,
    /** Status-Class: 1 redirect, 2 initiator error, 3 target error; 0 when we aborted the login ourselves. */
    readonly statusClass: number,
    readonly statusDetail: number,
  ) {
    super(message);
    this.name = 'IscsiLoginError';
  }

  /**
   * Status-Class 2: the target answered and refuses this initiator (its secret, its name, the
   * target or LUN it asked for): retrying the same login cannot succeed.
   */
  get refusedInitiator(): boolean {
    return this.statusClass === 2;
  }

  /** 0x0201: authentication failed (wrong CHAP secret or user). */
  get authenticationFailed(): boolean {
    return this.refusedInitiator && this.statusDetail === 1;
  }
}

/**
 * Status-Class 1: the target is at another address (RFC 7143 §11.13.5), which its
 * TargetAddress named. connectAndLogin follows it; it reaches callers of login() alone.
 */
export class IscsiLoginRedirectError extends IscsiLoginError {
  constructor(
    message: string,
    statusDetail: number,
    readonly address: { host: string; port: number },
  ) {
    super(message, 1, statusDetail);
    this.name = 'IscsiLoginRedirectError';
  }

  /** 0x0102: later logins go to the new address too; 0x0101 (temporarily) is for this login only. */
  get permanent(): boolean {
    return this.statusDetail === 2;
  }
}

/** The target did not prove it knows the mutual CHAP secret (checked on our side). */
export class IscsiAuthenticationError extends IscsiLoginError {
  constructor(message: string) {
    super(message, 0, 0);
    this.name = 'IscsiAuthenticationError';
  }
}

/** The TCP connection failed, closed, or the target broke the protocol in full feature phase. */
export class IscsiConnectionError extends Error {
  /**
   * For a command lost with the connection: true when it reached the wire (it may have
   * executed at the target), false when it was still queued here.
   */
  readonly maybeExecuted: boolean | undefined;
  constructor(message: string, options?: { cause?: unknown; maybeExecuted?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IscsiConnectionError';
    this.maybeExecuted = options?.maybeExecuted;
  }
}

/** An operation did not complete in time. The connection may still be usable (commands) or not (login, NOP). */
export class IscsiTimeoutError extends Error {
  constructor(
    message: string,
    readonly operation: 'connect' | 'login' | 'command' | 'nop' | 'logout' | 'task-management' | 'text',
  ) {
    super(message);
    this.name = 'IscsiTimeoutError';
  }
}

/** The target answered with a Reject PDU for a request of ours (RFC 7143 §11.17). */
export class IscsiRejectError extends Error {
  constructor(readonly reason: number) {
    super(`target rejected the PDU, reason 0x${reason.toString(16)}`);
    this.name = 'IscsiRejectError';
  }
}

/** Conditions whose cause an operator should read in words (in logs and `tandem status`), by ASC/ASCQ. */
const CONDITIONS_IN_WORDS: ReadonlyMap<number, string> = new Map([
  [0x0401, 'the logical unit is becoming ready'],
  [0x040a, 'the port is in an ALUA transition'],
  [0x040b, "the port is standby (a replicated LUN's backup)"],
  [0x040c, 'the port is unavailable (a stale primary)'],
  [0x2000, 'the target does not support this command'],
  [0x2100, 'logical block address out of range'],
  [0x2400, 'invalid field in CDB'],
  [0x2500, 'no such LUN on this target'],
  [0x2600, 'invalid field in parameter list'],
  [0x2700, 'the logical unit is write-protected'],
  [0x2707, 'space allocation failed: the target is out of space'],
  [0x2800, 'the medium may have changed (a replica restored to a recovery point)'],
  [0x3a00, 'no medium present'],
]);

/** A command that completed with CHECK CONDITION; `sense` is the parsed sense data. */
export class ScsiCheckConditionError extends Error {
  constructor(
    readonly sense: ParsedSense,
    readonly cdb: Buffer,
  ) {
    const words = CONDITIONS_IN_WORDS.get((sense.asc << 8) | sense.ascq);
    super(
      `CHECK CONDITION for opcode 0x${(cdb[0] ?? 0).toString(16)}: sense key 0x${sense.key.toString(16)}` +
        ` asc 0x${sense.asc.toString(16)}/0x${sense.ascq.toString(16)}${words ? ` (${words})` : ''}`,
    );
    this.name = 'ScsiCheckConditionError';
  }
}

/** A command that completed with a status other than GOOD or CHECK CONDITION (BUSY, RESERVATION CONFLICT, ...). */
export class ScsiStatusError extends Error {
  constructor(
    readonly status: number,
    readonly cdb: Buffer,
  ) {
    super(`SCSI status 0x${status.toString(16)} for opcode 0x${(cdb[0] ?? 0).toString(16)}`);
    this.name = 'ScsiStatusError';
  }
}

/** A task management request the target answered with something other than "function complete". */
export class TaskManagementError extends Error {
  constructor(readonly response: number) {
    super(`task management response ${response}`);
    this.name = 'TaskManagementError';
  }
}

/** The command was aborted (by abortTask/lunReset, logout, or connection loss) before it completed. */
export class CommandAbortedError extends Error {
  constructor(
    message: string,
    /** True when the command may have reached the target (it could have executed). */
    readonly maybeExecuted: boolean,
  ) {
    super(message);
    this.name = 'CommandAbortedError';
  }
}
