/**
 * An iSCSI session in full feature phase (RFC 7143, ERL 0, one connection): pipelined
 * SCSI commands within the CmdSN window, Data-Out (immediate, unsolicited, R2T-driven),
 * Data-In reassembly, NOP keepalive, async messages, task management and logout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BHS_LENGTH, lunToField, readItt } from '../iscsi/pdu/bhs.js';
import { encodeDataOut } from '../iscsi/pdu/data-out.js';
import { decodeTargetPdu, type TargetPdu } from '../iscsi/pdu/decode.js';
import { encodeLogoutRequest } from '../iscsi/pdu/logout.js';
import { encodeNopOut } from '../iscsi/pdu/nop.js';
import { AsyncEvent, LogoutReason, RESERVED_TAG, TmfFunction } from '../iscsi/pdu/opcodes.js';
import { PduError } from '../iscsi/pdu/pdu-error.js';
import type { DataInPdu } from '../iscsi/pdu/data-in.js';
import type { R2tPdu } from '../iscsi/pdu/r2t.js';
import { decodeSenseSegment, type ScsiResponsePdu } from '../iscsi/pdu/scsi-response.js';
import { encodeScsiCommand } from '../iscsi/pdu/scsi-command.js';
import { encodeTaskMgmtRequest } from '../iscsi/pdu/task-management.js';
import type { ChapCredentials } from '../iscsi/chap.js';
import type { SessionParams } from '../iscsi/session-params.js';
import { serialLt, serialMax } from '../iscsi/pdu/serial.js';
import { moduleLogger } from '../util/log.js';
import { ScsiStatus } from './cdb.js';
import { CommandWindow } from './command-window.js';
import { TaskAttribute, type CommandHandle, type CommandRequest, type CommandResult } from './command-types.js';
import { forEachDataOut, planUnsolicited } from './data-out-plan.js';
import {
  CommandAbortedError,
  IscsiConnectionError,
  IscsiRejectError,
  IscsiTimeoutError,
  TaskManagementError,
} from './errors.js';
import { connectAndLogin, type LoginResult, type PortalAddress } from './login.js';
import { DEFAULT_INITIATOR_LIMITS, type InitiatorLimits } from './operational-keys.js';
import { ScsiCommands } from './scsi-commands.js';
import { NO_SENSE_DATA, trySense, type ParsedSense } from './sense-parse.js';
import { PduTransport, type FramedPdu, type WireStats } from './transport.js';
import { DEFAULT_ISCSI_PORT } from './url.js';
import { IntMap } from '../util/int-map.js';
import { PendingCommands } from './pending-commands.js';
import { dataOutRange, type DataOut } from './data-out.js';

const log = moduleLogger('initiator');

export interface SessionTimeouts {
  connectMs: number;
  loginMs: number;
  /** Per command, from submission (queued time included). */
  commandMs: number;
  /** Send a NOP-Out ping after this long without hearing from the target; 0 disables. */
  nopIntervalMs: number;
  /** A ping unanswered this long ends the connection. */
  nopTimeoutMs: number;
  taskManagementMs: number;
  logoutMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<SessionTimeouts> = Object.freeze({
  connectMs: 5_000,
  loginMs: 10_000,
  commandMs: 30_000,
  nopIntervalMs: 5_000,
  nopTimeoutMs: 10_000,
  taskManagementMs: 10_000,
  logoutMs: 5_000,
});

/** Default cap on one command's Data-In buffer; a caller may raise it in limits. */
export const DEFAULT_MAX_TRANSFER_BYTES = 64 * 1024 * 1024;

export const DEFAULT_INITIATOR_NAME = 'iqn.2026-11.io.tandem:initiator';

export interface AsyncEventInfo {
  event: number;
  lun: bigint;
  /** SCSI async event: the sense data it carries. */
  sense?: ParsedSense;
  parameter1: number;
  parameter2: number;
  parameter3: number;
}

export interface SessionOptions {
  host: string;
  port?: number;
  targetName: string;
  initiatorName?: string;
  initiatorAlias?: string;
  /** 6 bytes; random by default. Keep it across reconnects so the target reinstates the session. */
  isid?: Buffer;
  chap?: ChapCredentials;
  mutualChap?: ChapCredentials;
  limits?: Partial<InitiatorLimits> & { maxTransferBytes?: number };
  /** true: require CRC32C; 'prefer': offer CRC32C,None; false (default): None. */
  headerDigest?: boolean | 'prefer';
  dataDigest?: boolean | 'prefer';
  timeouts?: Partial<SessionTimeouts>;
  onAsyncEvent?: (event: AsyncEventInfo) => void;
}

/**
 * An ISID of the "random" type drawn from `seed` rather than at random: the same initiator
 * port each time (a restarted process logs in as the port its old session used, so the
 * target reinstates that session instead of keeping it beside the new one).
 */
export function derivedIsid(seed: string): Buffer {
  const isid = createHash('sha256').update(seed).digest().subarray(0, 6);
  isid[0] = 0x80 | (isid[0]! & 0x3f);
  return Buffer.from(isid);
}

/** A random ISID of the "random" type (RFC 7143 §11.12.5, T=10b). */
export function randomIsid(): Buffer {
  const isid = randomBytes(6);
  isid[0] = 0x80 | (isid[0]! & 0x3f);
  return isid;
}

interface Task {
  itt: number;
  /** Submission order; unlike the ITT it never wraps, so it orders the tasks lost with a connection. */
  seq: number;
  cmdSN: number;
  request: CommandRequest;
  lunField: bigint;
  dataIn: Buffer | undefined;
  /** Highest Data-In end offset seen. */
  dataInEnd: number;
  /** Data-In bytes received: fewer than dataInEnd means a hole nobody wrote. */
  dataInBytes: number;
  /** DataSN the next Data-In (or, for a bidirectional command, R2T) must carry. */
  nextDataSN: number;
  sent: boolean;
  deadline: number;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  onAbort: (() => void) | undefined;
}

interface ImmediateWaiter {
  deadline: number;
  operation: 'nop' | 'task-management' | 'logout';
  resolve: (pdu: TargetPdu, data: Buffer) => void;
  reject: (e: Error) => void;
}

type SessionState = 'open' | 'draining' | 'closed';

export class IscsiSession extends ScsiCommands {
  readonly params: Readonly<SessionParams>;
  readonly tsih: number;
  readonly isid: Buffer;
  readonly targetAlias: string | undefined;
  /** Settles (never rejects) when the connection is gone: undefined after logout, else the reason. */
  readonly closed: Promise<IscsiConnectionError | undefined>;

  private readonly window: CommandWindow;
  private expStatSN: number;
  private readonly tasks = new IntMap<Task>();
  private readonly pending = new PendingCommands<Task>();
  private readonly immediates = new Map<number, ImmediateWaiter>();
  private nextItt = 1;
  private nextSeq = 0;
  private loggingOut: Promise<void> | undefined;
  private state: SessionState = 'open';
  private heardFromTarget = false;
  private lastHeard = Date.now();
  private pingOutstanding = false;
  private readonly ticker: NodeJS.Timeout;
  private resolveClosed!: (e: IscsiConnectionError | undefined) => void;
  private readonly maxTransferBytes: number;

  private constructor(
    private readonly transport: PduTransport,
    loginResult: LoginResult,
    isid: Buffer,
    private readonly timeouts: SessionTimeouts,
    private readonly options: SessionOptions,
    /** Where this session is connected: the address asked for, or where login redirects led. */
    readonly portal: Readonly<PortalAddress>,
    /** Set when a permanent login redirect moved the target: where later logins should go. */
    readonly movedTo: Readonly<PortalAddress> | undefined,
  ) {
    super();
    this.params = Object.freeze({ ...loginResult.params });
    this.tsih = loginResult.tsih;
    this.isid = isid;
    this.targetAlias = loginResult.targetAlias;
    this.window = new CommandWindow(loginResult.cmdSN, loginResult.cmdSN, loginResult.maxCmdSN);
    this.expStatSN = loginResult.expStatSN;
    this.maxTransferBytes = options.limits?.maxTransferBytes ?? DEFAULT_MAX_TRANSFER_BYTES;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    // Fine enough that keepalive and timeouts fire within a fraction of their interval.
    // (A command timeout bounds how long a replicated host write may wait on the backup: 1/20 of it late at most.)
    const tick = Math.max(50, Math.min(1000, timeouts.commandMs / 20, (timeouts.nopIntervalMs || 2000) / 2, timeouts.nopTimeoutMs / 2));
    this.ticker = setInterval(() => this.onTick(), tick);
    this.ticker.unref();
    // Last: PDUs that came right behind the final login response are handed over here.
    transport.setHandler({ onPdu: (pdu) => this.onPdu(pdu), onClose: (e) => this.onClose(e) });
  }

  /** Connects, logs in and returns a session in full feature phase. */
  static async connect(options: SessionOptions): Promise<IscsiSession> {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const limits = { ...DEFAULT_INITIATOR_LIMITS, ...options.limits };
    const isid = options.isid ?? randomIsid();
    const { transport, result, portal, movedTo } = await connectAndLogin(
      { host: options.host, port: options.port ?? DEFAULT_ISCSI_PORT },
      timeouts.connectMs,
      {
        initiatorName: options.initiatorName ?? DEFAULT_INITIATOR_NAME,
        ...(options.initiatorAlias ? { initiatorAlias: options.initiatorAlias } : {}),
        targetName: options.targetName,
        sessionType: 'Normal',
        isid,
        ...(options.chap ? { chap: options.chap } : {}),
        ...(options.mutualChap ? { mutualChap: options.mutualChap } : {}),
        limits,
        digests: { headerDigest: options.headerDigest ?? false, dataDigest: options.dataDigest ?? false },
        timeoutMs: timeouts.loginMs,
      },
    );
    log.info(
      { host: portal.host, port: portal.port, target: options.targetName, tsih: result.tsih, params: result.params },
      'logged in',
    );
    return new IscsiSession(transport, result, isid, timeouts, options, portal, movedTo);
  }

  /** Live wire counters (headers + data + digests) for this connection. */
  get stats(): Readonly<WireStats> {
    return this.transport.stats;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Commands sent and not yet answered, plus those waiting for the CmdSN window. */
  get outstanding(): number {
    return this.tasks.size + this.pending.length;
  }

  command(request: CommandRequest): Promise<CommandResult> {
    return this.startCommand(request).result;
  }

  startCommand(request: CommandRequest): CommandHandle {
    const itt = this.allocateItt();
    let task!: Task;
    const result = new Promise<CommandResult>((resolve, reject) => {
      task = {
        itt,
        seq: this.nextSeq++,
        cmdSN: 0,
        request,
        lunField: 0n,
        dataIn: undefined,
        dataInEnd: 0,
        dataInBytes: 0,
        nextDataSN: 0,
        sent: false,
        deadline: Date.now() + (request.timeoutMs ?? this.timeouts.commandMs),
        resolve,
        reject,
        onAbort: undefined,
      };
    });
    try {
      this.validate(request);
      task.lunField = lunToField(request.lun);
    } catch (e) {
      task.reject(e as Error);
      return { itt, result };
    }
    if (this.state !== 'open') {
      task.reject(this.notOpenError());
      return { itt, result };
    }
    if (request.signal) {
      if (request.signal.aborted) {
        task.reject(new CommandAbortedError('aborted before it was sent', false));
        return { itt, result };
      }
      task.onAbort = () => void this.abortTask(itt).catch(() => undefined);
      request.signal.addEventListener('abort', task.onAbort, { once: true });
    }
    if (this.pending.length === 0 && this.window.isOpen()) this.send(task);
    else this.pending.push(task);
    return { itt, result };
  }

  /** Round trip of a NOP-Out ping, in milliseconds. */
  async ping(timeoutMs = this.timeouts.nopTimeoutMs): Promise<number> {
    const started = performance.now();
    await this.immediate('nop', timeoutMs, (itt) =>
      encodeNopOut({ immediate: true, lun: 0n, itt, ttt: RESERVED_TAG, cmdSN: this.window.next, expStatSN: this.expStatSN }, 0),
    );
    return performance.now() - started;
  }

  /**
   * ABORT TASK for a command of ours. 'aborted': the command is gone (its promise rejects
   * with CommandAbortedError); 'not-found': it had already completed.
   */
  async abortTask(itt: number): Promise<'aborted' | 'not-found'> {
    const queued = this.pending.remove(itt);
    if (queued) {
      this.finishTask(queued);
      queued.reject(new CommandAbortedError('aborted before it was sent', false));
      return 'aborted';
    }
    const task = this.tasks.get(itt);
    if (!task) return 'not-found';
    const response = await this.taskManagement(TmfFunction.ABORT_TASK, task.lunField, itt, task.cmdSN);
    if (response === 1) return 'not-found';
    if (response !== 0) throw new TaskManagementError(response);
    if (this.tasks.get(itt) === task) {
      this.tasks.delete(itt);
      this.finishTask(task);
      task.reject(new CommandAbortedError('aborted by ABORT TASK', true));
    }
    return 'aborted';
  }

  /** LOGICAL UNIT RESET; commands in flight to that LUN reject with CommandAbortedError. */
  lunReset(lun: number): Promise<void> {
    return this.lunTaskManagement(TmfFunction.LOGICAL_UNIT_RESET, lun, 'LOGICAL UNIT RESET');
  }

  /** ABORT TASK SET: this session's commands in flight to that LUN end on the target, and reject here with CommandAbortedError. */
  abortTaskSet(lun: number): Promise<void> {
    return this.lunTaskManagement(TmfFunction.ABORT_TASK_SET, lun, 'ABORT TASK SET');
  }

  /** A TMF on a LUN: the target sends no response for the commands it aborts, so they end here. */
  private async lunTaskManagement(fn: number, lun: number, name: string): Promise<void> {
    const field = lunToField(lun);
    const tmfCmdSN = this.window.next;
    const response = await this.taskManagement(fn, field, RESERVED_TAG, tmfCmdSN, tmfCmdSN);
    if (response !== 0) throw new TaskManagementError(response);
    for (const task of [...this.tasks.values()]) {
      // Commands sent after the TMF (CmdSN at or past its own) are not in the task set it covered: they run on.
      if (task.lunField !== field || !serialLt(task.cmdSN, tmfCmdSN)) continue;
      this.tasks.delete(task.itt);
      this.finishTask(task);
      task.reject(new CommandAbortedError(`aborted by ${name} of LUN ${lun}`, true));
    }
  }

  /**
   * Waits for commands in flight, then logs out (closing the session) and closes the
   * connection. New commands are refused from the moment this is called.
   */
  logout(): Promise<void> {
    // One logout, however many ask (the target's request and the caller's own may overlap).
    return (this.loggingOut ??= this.logoutOnce());
  }

  private async logoutOnce(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'draining';
    await this.drained();
    if (this.transport.isClosed) return;
    try {
      await this.immediate('logout', this.timeouts.logoutMs, (itt) =>
        encodeLogoutRequest({
          immediate: true,
          reasonCode: LogoutReason.CLOSE_SESSION,
          itt,
          cid: 0,
          cmdSN: this.window.next,
          expStatSN: this.expStatSN,
        }),
      );
      log.info({ target: this.options.targetName, tsih: this.tsih }, 'logged out');
    } finally {
      this.transport.close();
      await this.closed;
    }
  }

  /** Drops the connection without logging out (commands in flight reject). */
  destroy(reason = 'session destroyed'): void {
    this.transport.fail(new IscsiConnectionError(reason));
  }

  // ---- sending ----

  private validate(request: CommandRequest): void {
    if (request.cdb.length === 0 || request.cdb.length > 260) throw new RangeError(`CDB of ${request.cdb.length} bytes`);
    const inLength = request.dataInLength ?? 0;
    if (!Number.isInteger(inLength) || inLength < 0 || inLength > this.maxTransferBytes) {
      throw new RangeError(`dataInLength ${inLength} outside 0..${this.maxTransferBytes}`);
    }
    if (request.dataOut && request.dataOut.length > 0xffffffff) throw new RangeError('dataOut too long');
  }

  private allocateItt(): number {
    for (;;) {
      const itt = this.nextItt;
      this.nextItt = (this.nextItt + 1) >>> 0;
      if (this.nextItt === RESERVED_TAG) this.nextItt = 1;
      if (!this.tasks.has(itt) && !this.immediates.has(itt)) return itt;
    }
  }

  private send(task: Task): void {
    const { request } = task;
    const p = this.params;
    task.cmdSN = this.window.take();
    task.sent = true;
    const inLength = request.dataInLength ?? 0;
    if (inLength > 0) task.dataIn = Buffer.allocUnsafe(inLength);
    this.tasks.set(task.itt, task);
    const out = request.dataOut && request.dataOut.length > 0 ? request.dataOut : undefined;
    const plan = out
      ? planUnsolicited(out.length, {
          immediateData: p.immediateData,
          initialR2T: p.initialR2T,
          firstBurstLength: p.firstBurstLength,
          maxSendDataSegmentLength: p.maxSendDataSegmentLength,
        })
      : { immediateLength: 0, unsolicitedEnd: 0 };
    const header = encodeScsiCommand(
      {
        immediate: false,
        final: plan.unsolicitedEnd === plan.immediateLength,
        read: inLength > 0,
        write: out !== undefined,
        attribute: request.taskAttribute ?? TaskAttribute.SIMPLE,
        lun: task.lunField,
        itt: task.itt,
        expectedLength: out ? out.length : inLength,
        cmdSN: task.cmdSN,
        expStatSN: this.expStatSN,
        cdb: request.cdb,
        ...(out && inLength > 0 ? { bidiReadLength: inLength } : {}),
      },
      plan.immediateLength,
    );
    if (!out || plan.unsolicitedEnd === plan.immediateLength) {
      this.transport.send(header, out && dataOutRange(out, 0, plan.immediateLength));
      return;
    }
    // One writev with the command (the transport holds its sends for the rest of the tick).
    this.transport.send(header, dataOutRange(out, 0, plan.immediateLength));
    this.sendSequence(task, out, plan.immediateLength, plan.unsolicitedEnd, RESERVED_TAG);
  }

  private sendSequence(task: Task, out: DataOut, start: number, end: number, ttt: number): void {
    forEachDataOut(start, end, this.params.maxSendDataSegmentLength, (offset, length, dataSN, final) => {
      const header = encodeDataOut(
        { final, lun: task.lunField, itt: task.itt, ttt, expStatSN: this.expStatSN, dataSN, bufferOffset: offset },
        length,
      );
      this.transport.send(header, dataOutRange(out, offset, offset + length));
    });
  }

  private drainPending(): void {
    while (this.pending.length > 0 && this.window.isOpen() && !this.transport.isClosed) this.send(this.pending.shift()!);
  }

  private immediate(
    operation: ImmediateWaiter['operation'],
    timeoutMs: number,
    encode: (itt: number) => Buffer,
  ): Promise<{ pdu: TargetPdu; data: Buffer }> {
    if (this.transport.isClosed) return Promise.reject(new IscsiConnectionError('connection is closed'));
    const itt = this.allocateItt();
    return new Promise((resolve, reject) => {
      this.immediates.set(itt, {
        deadline: Date.now() + timeoutMs,
        operation,
        resolve: (pdu, data) => resolve({ pdu, data }),
        reject,
      });
      this.transport.send(encode(itt));
    });
  }

  private async taskManagement(fn: number, lun: bigint, referencedTaskTag: number, refCmdSN: number, cmdSN = this.window.next): Promise<number> {
    const { pdu } = await this.immediate('task-management', this.timeouts.taskManagementMs, (itt) =>
      encodeTaskMgmtRequest({
        immediate: true,
        function: fn,
        lun,
        itt,
        referencedTaskTag,
        cmdSN,
        expStatSN: this.expStatSN,
        refCmdSN,
        expDataSN: 0,
      }),
    );
    if (pdu.kind !== 'task-mgmt-response') throw new IscsiConnectionError(`expected a task management response, got ${pdu.kind}`);
    return pdu.pdu.response;
  }

  private drained(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    const all = [...this.tasks.values(), ...this.pending.values()];
    return new Promise((resolve) => {
      let left = all.length;
      const done = (): void => {
        if (--left === 0) resolve();
      };
      for (const t of all) {
        const { resolve: res, reject: rej } = t;
        t.resolve = (r) => {
          res(r);
          done();
        };
        t.reject = (e) => {
          rej(e);
          done();
        };
      }
    });
  }

  // ---- receiving ----

  private onPdu(framed: FramedPdu): void {
    this.heardFromTarget = true;
    let pdu: TargetPdu;
    try {
      pdu = decodeTargetPdu(framed.header);
    } catch (e) {
      if (e instanceof PduError) return this.protocolError(`undecodable PDU from target: ${e.message}`);
      throw e;
    }
    switch (pdu.kind) {
      case 'data-in':
        return this.onDataIn(pdu.pdu, framed.data);
      case 'scsi-response':
        return this.onScsiResponse(pdu.pdu, framed.data);
      case 'r2t':
        return this.onR2t(pdu.pdu);
      case 'nop-in': {
        const n = pdu.pdu;
        this.window.update(n.expCmdSN, n.maxCmdSN);
        if (n.itt !== RESERVED_TAG) {
          this.advanceStatSN(n.statSN);
          this.settleImmediate(n.itt, pdu, framed.data);
        } else if (n.ttt !== RESERVED_TAG) {
          // The target pings us: answer with its TTT and echo its data.
          this.transport.send(
            encodeNopOut(
              { immediate: true, lun: n.lun, itt: RESERVED_TAG, ttt: n.ttt, cmdSN: this.window.next, expStatSN: this.expStatSN },
              framed.data.length,
            ),
            framed.data,
          );
        }
        return this.drainPending();
      }
      case 'task-mgmt-response':
      case 'logout-response':
        this.advanceStatSN(pdu.pdu.statSN);
        this.window.update(pdu.pdu.expCmdSN, pdu.pdu.maxCmdSN);
        this.settleImmediate(pdu.pdu.itt, pdu, framed.data);
        return this.drainPending();
      case 'async':
        this.advanceStatSN(pdu.pdu.statSN);
        this.window.update(pdu.pdu.expCmdSN, pdu.pdu.maxCmdSN);
        this.onAsync(pdu.pdu.asyncEvent, pdu, framed.data);
        return this.drainPending();
      case 'reject':
        this.advanceStatSN(pdu.pdu.statSN);
        this.window.update(pdu.pdu.expCmdSN, pdu.pdu.maxCmdSN);
        this.onReject(pdu.pdu.reason, framed.data);
        return this.drainPending();
      case 'text-response':
        this.advanceStatSN(pdu.pdu.statSN);
        this.window.update(pdu.pdu.expCmdSN, pdu.pdu.maxCmdSN);
        return this.drainPending();
      case 'login-response':
        return this.protocolError('login response in full feature phase');
    }
  }

  private advanceStatSN(statSN: number): void {
    this.expStatSN = serialMax(this.expStatSN, (statSN + 1) >>> 0);
  }

  private onDataIn(d: DataInPdu, data: Buffer): void {
    this.window.update(d.expCmdSN, d.maxCmdSN);
    const task = this.tasks.get(d.itt);
    if (task) {
      // DataPDUInOrder and DataSequenceInOrder (what we offer): each Data-In carries the next
      // DataSN and starts where the last ended. Anything else means a PDU went missing; at
      // ErrorRecoveryLevel 0 that is a sequence error the session cannot recover from.
      if (this.params.dataPDUInOrder && this.params.dataSequenceInOrder && (d.dataSN !== task.nextDataSN || d.bufferOffset !== task.dataInEnd)) {
        return this.protocolError(
          `Data-In for ITT ${d.itt} has DataSN ${d.dataSN} at offset ${d.bufferOffset}, expected DataSN ${task.nextDataSN} at ${task.dataInEnd}`,
        );
      }
      task.nextDataSN = (task.nextDataSN + 1) >>> 0;
      if (data.length > 0) {
        const buffer = task.dataIn;
        const end = d.bufferOffset + data.length;
        if (!buffer || end > buffer.length) {
          return this.protocolError(`Data-In for ITT ${d.itt} overruns the ${buffer?.length ?? 0}-byte buffer (offset ${d.bufferOffset})`);
        }
        data.copy(buffer, d.bufferOffset);
        if (end > task.dataInEnd) task.dataInEnd = end;
        task.dataInBytes += data.length;
      }
      if (d.statusPresent) {
        this.advanceStatSN(d.statSN);
        this.complete(task, d.status, d.residual, d.residualOverflow, d.residualUnderflow, undefined, d.residualUnderflow ? d.residual : 0);
      }
    } else if (d.statusPresent) {
      // A command we gave up on (timeout/abort) still completes at the target.
      this.advanceStatSN(d.statSN);
    }
    this.drainPending();
  }

  private onScsiResponse(r: ScsiResponsePdu, data: Buffer): void {
    this.advanceStatSN(r.statSN);
    this.window.update(r.expCmdSN, r.maxCmdSN);
    const task = this.tasks.get(r.itt);
    if (task) {
      if (r.response !== 0) {
        this.tasks.delete(task.itt);
        this.finishTask(task);
        task.reject(new CommandAbortedError(`target failure (iSCSI response 0x${r.response.toString(16)})`, true));
      } else {
        let senseData: Buffer | undefined;
        if (data.length > 0) {
          try {
            senseData = Buffer.from(decodeSenseSegment(data));
          } catch (e) {
            if (!(e instanceof PduError)) throw e;
          }
        }
        // A bidirectional command's read residual has fields of its own (Bidirectional Read Residual Count).
        const bidirectional = task.dataIn !== undefined && (task.request.dataOut?.length ?? 0) > 0;
        // An overflow with no Data-In at all: the command and the read length disagree (a CDB that
        // writes, sent with a read length), and the target sent nothing for it, which is no loss.
        const noReadData = (bidirectional ? r.bidiOverflow : r.residualOverflow) && task.dataInBytes === 0;
        const readUnderflow = noReadData ? (task.dataIn?.length ?? 0) : bidirectional ? (r.bidiUnderflow ? r.bidiReadResidual : 0) : r.residualUnderflow ? r.residual : 0;
        this.complete(task, r.status, r.residual, r.residualOverflow, r.residualUnderflow, senseData, readUnderflow);
      }
    }
    this.drainPending();
  }

  /** `readUnderflow`: the bytes of Data-In the target says it did not send (its read residual underflow, else 0). */
  private complete(
    task: Task,
    status: number,
    residual: number,
    overflow: boolean,
    underflow: boolean,
    senseData: Buffer | undefined,
    readUnderflow: number,
  ): void {
    // Out-of-order Data-In with a hole: those bytes are whatever the buffer held, never the data.
    const holeBytes = task.dataInEnd - task.dataInBytes;
    // GOOD with fewer bytes than the target accounts for: trailing Data-In went missing. (Other
    // statuses may end a read early without a residual, and their data is not the result.)
    const promisedEnd = status === ScsiStatus.GOOD ? Math.max(0, (task.dataIn?.length ?? 0) - readUnderflow) : 0;
    const missingTailBytes = Math.max(0, promisedEnd - task.dataInEnd);
    if (holeBytes + missingTailBytes > 0) {
      return this.protocolError(`ITT ${task.itt} completed with ${holeBytes + missingTailBytes} bytes of its Data-In never sent`);
    }
    this.tasks.delete(task.itt);
    this.finishTask(task);
    const result: CommandResult = { status, residual: overflow || underflow ? residual : 0, residualOverflow: overflow };
    if (task.dataIn) result.dataIn = task.dataIn.subarray(0, task.dataInEnd);
    if (status === ScsiStatus.CHECK_CONDITION) {
      result.sense = (senseData && trySense(senseData)) || NO_SENSE_DATA;
      if (senseData) result.senseData = senseData;
    }
    task.resolve(result);
  }

  private finishTask(task: Task): void {
    if (task.onAbort) task.request.signal?.removeEventListener('abort', task.onAbort);
  }

  private onR2t(r: R2tPdu): void {
    this.window.update(r.expCmdSN, r.maxCmdSN);
    const task = this.tasks.get(r.itt);
    if (!task) return; // aborted or timed out; the target learns from ABORT TASK
    // A bidirectional command's R2Ts and Data-In share one DataSN sequence (RFC 7143 §11.7.5).
    if (task.dataIn) task.nextDataSN = (task.nextDataSN + 1) >>> 0;
    const out = task.request.dataOut;
    const end = r.bufferOffset + r.desiredLength;
    if (!out || end > out.length) {
      return this.protocolError(`R2T for ITT ${r.itt} asks for bytes ${r.bufferOffset}..${end} of a ${out?.length ?? 0}-byte write`);
    }
    this.sendSequence(task, out, r.bufferOffset, end, r.ttt);
    this.drainPending();
  }

  private onAsync(event: number, pdu: TargetPdu, data: Buffer): void {
    if (pdu.kind !== 'async') return;
    const a = pdu.pdu;
    const info: AsyncEventInfo = { event, lun: a.lun, parameter1: a.parameter1, parameter2: a.parameter2, parameter3: a.parameter3 };
    if (event === AsyncEvent.SCSI_EVENT && data.length > 0) {
      try {
        const sense = trySense(decodeSenseSegment(data));
        if (sense) info.sense = sense;
      } catch (e) {
        if (!(e instanceof PduError)) throw e;
      }
    }
    this.options.onAsyncEvent?.(info);
    switch (event) {
      case AsyncEvent.LOGOUT_REQUEST:
        log.info({ target: this.options.targetName, within: a.parameter3 }, 'target requests logout');
        void this.logout().catch(() => undefined);
        break;
      case AsyncEvent.CONNECTION_DROP:
      case AsyncEvent.SESSION_DROP:
        this.transport.fail(new IscsiConnectionError(`target announced it drops the ${event === 2 ? 'connection' : 'session'}`));
        break;
    }
  }

  private onReject(reason: number, data: Buffer): void {
    if (data.length < BHS_LENGTH) return;
    const itt = readItt(data);
    const task = this.tasks.get(itt);
    if (task) {
      this.tasks.delete(itt);
      this.finishTask(task);
      task.reject(new IscsiRejectError(reason));
      return;
    }
    const waiter = this.immediates.get(itt);
    if (waiter) {
      this.immediates.delete(itt);
      waiter.reject(new IscsiRejectError(reason));
    }
  }

  private settleImmediate(itt: number, pdu: TargetPdu, data: Buffer): void {
    const waiter = this.immediates.get(itt);
    if (!waiter) return;
    this.immediates.delete(itt);
    waiter.resolve(pdu, data);
  }

  // ---- timers and teardown ----

  private onTick(): void {
    const now = Date.now();
    if (this.heardFromTarget) {
      this.heardFromTarget = false;
      this.lastHeard = now;
    }
    for (const task of this.tasks.values()) {
      if (task.deadline > now) continue;
      this.tasks.delete(task.itt);
      this.finishTask(task);
      task.reject(new IscsiTimeoutError(`command 0x${task.request.cdb[0]!.toString(16)} timed out`, 'command'));
      // Tell the target to forget it; failure here changes nothing for the caller.
      void this.taskManagement(TmfFunction.ABORT_TASK, task.lunField, task.itt, task.cmdSN).catch(() => undefined);
    }
    for (const t of this.pending.expire(now)) {
      this.finishTask(t);
      t.reject(new IscsiTimeoutError('command timed out waiting for the CmdSN window', 'command'));
    }
    for (const [itt, waiter] of this.immediates) {
      if (waiter.deadline > now) continue;
      this.immediates.delete(itt);
      waiter.reject(new IscsiTimeoutError(`no ${waiter.operation} response in time`, waiter.operation));
      if (waiter.operation === 'nop') {
        this.transport.fail(new IscsiConnectionError('keepalive: target did not answer NOP-Out'));
        return;
      }
    }
    const interval = this.timeouts.nopIntervalMs;
    if (interval > 0 && !this.pingOutstanding && now - this.lastHeard >= interval && !this.transport.isClosed) {
      this.pingOutstanding = true;
      // Cleared however the ping ends (answer, Reject, timeout, close), or keepalive would stop for good.
      void this.ping()
        .catch(() => undefined)
        .finally(() => (this.pingOutstanding = false));
    }
  }

  private protocolError(message: string): void {
    log.warn({ target: this.options.targetName }, message);
    this.transport.fail(new IscsiConnectionError(`protocol error: ${message}`));
  }

  private notOpenError(): Error {
    return this.state === 'draining'
      ? new CommandAbortedError('session is logging out', false)
      : new IscsiConnectionError('session is closed', { maybeExecuted: false });
  }

  private onClose(error: IscsiConnectionError | undefined): void {
    this.state = 'closed';
    clearInterval(this.ticker);
    const reason = error?.message ?? 'session closed';
    // Oldest first (ITTs wrap, so not by ITT): a caller re-issuing them must keep their order.
    for (const task of [...this.tasks.values()].sort((a, b) => a.seq - b.seq)) {
      this.finishTask(task);
      task.reject(new IscsiConnectionError(`${reason} with the command in flight`, { cause: error, maybeExecuted: true }));
    }
    this.tasks.clear();
    for (const t of this.pending.takeAll()) {
      this.finishTask(t);
      t.reject(new IscsiConnectionError(`${reason} before the command was sent`, { cause: error, maybeExecuted: false }));
    }
    for (const waiter of this.immediates.values()) waiter.reject(new IscsiConnectionError(reason, { cause: error }));
    this.immediates.clear();
    if (error) log.info({ target: this.options.targetName, reason }, 'connection lost');
    this.resolveClosed(error);
  }
}
