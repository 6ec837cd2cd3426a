/**
 * One TCP connection: frames PDUs, runs the login phase (its binding to a session:
 * session-binding.ts), then dispatches full-feature PDUs to the session's task set, NOP,
 * text, logout and task-management handlers. Owns StatSN (per connection) and the socket
 * writer.
 */
import type { Socket } from 'node:net';
import { BHS_LENGTH, readItt, readOpcode } from '../iscsi/pdu/bhs.js';
import { decodeDataOut, type DataOutPdu } from '../iscsi/pdu/data-out.js';
import { decodeInitiatorPdu } from '../iscsi/pdu/decode.js';
import type { LogoutRequestPdu } from '../iscsi/pdu/logout.js';
import type { NopOutPdu } from '../iscsi/pdu/nop.js';
import { Opcode, RESERVED_TAG, RejectReason, TmfFunction } from '../iscsi/pdu/opcodes.js';
import { PduError } from '../iscsi/pdu/pdu-error.js';
import { encodeR2t } from '../iscsi/pdu/r2t.js';
import { encodeReject } from '../iscsi/pdu/reject.js';
import { decodeScsiCommand, type ScsiCommandPdu } from '../iscsi/pdu/scsi-command.js';
import type { TaskMgmtRequestPdu } from '../iscsi/pdu/task-management.js';
import type { TextRequestPdu } from '../iscsi/pdu/text.js';
import { TmfResponse, type Nexus, type ScsiTargetPort } from '../scsi/types.js';
import type { Logger } from '../util/log.js';
import type { ResponseChannel } from './data-in.js';
import type { R2tRequest } from './data-out.js';
import { LoginPhase, LoginStatus, type Binding, type NegotiatorFactory } from './login-phase.js';
import type { LoginEnvironment, LoginOutcome } from './login-types.js';
import type { SessionParams } from '../iscsi/session-params.js';
import { decideLogout, sendLogoutResponse } from './logout.js';
import { NopPinger, answerPing, sendPing } from './nop.js';
import { PduReader, type FramedPdu, type PduSink } from '../iscsi/pdu/pdu-reader.js';
import { framedSocket } from '../iscsi/pdu/framed-socket.js';
import { PduWriter } from './pdu-writer.js';
import { ScsiTask, type TaskHost } from './scsi-task.js';
import { ByteBudget } from './byte-budget.js';
import { DataOutWatch } from './data-out-watch.js';
import type { SlotTicket } from './connection-slots.js';
import { authFailureSources, type AuthFailureThrottle } from './auth-failure-throttle.js';
import { formatHostPort, formatPortalAddress, type SendTargetsContext } from './send-targets.js';
import { serialAdd } from '../iscsi/pdu/serial.js';
import type { Session } from './session.js';
import { SessionBinder, refusal, type BindingConnection } from './session-binding.js';
import type { SessionRegistry } from './session-registry.js';
import type { TargetRegistry } from './target-registry.js';
import { performTmf, sendTmfResponse } from './task-management.js';
import { TextExchange } from './text-request.js';
import {
  DATA_IN_BUDGET_BYTES,
  DATA_OUT_BUDGET_BYTES,
  DATA_OUT_TIMEOUT_MS,
  LOGIN_MAX_RECV_DATA_SEGMENT_LENGTH,
  MAX_PROTOCOL_ERRORS,
  MAX_UNSENT_OUTPUT_BYTES,
  type TransportLimits,
} from './transport-limits.js';

export interface ConnectionContext {
  targets: TargetRegistry;
  sessions: SessionRegistry;
  portalGroupTag: number;
  limits: TransportLimits;
  /** `HOST:PORT` reported by SendTargets instead of the connection's local address. */
  advertiseAddress?: string;
  nopIntervalMs: number;
  nopTimeoutMs: number;
  loginTimeoutMs: number;
  createNegotiator: NegotiatorFactory;
  discoveryChap?: LoginEnvironment['discoveryChap'];
  /** The Data-Out and Data-In buffer memory all connections share (`--buffer-memory`); each connection's budgets draw on it. */
  bufferMemory?: ByteBudget;
  /** Data-Out timeout (DATA_OUT_TIMEOUT_MS unless given; 0: none). */
  dataOutTimeoutMs?: number;
  /** Initiators let in over `--max-connections` (a backup's replicator). */
  exemptFromConnectionLimit?: (initiatorName: string) => boolean;
  /** `--max-connections`, for the refusal's reason. */
  maxConnections?: number;
  /** Failed authentications of all connections, by initiator name and address: their failure responses are held back (none when absent). */
  authFailures?: AuthFailureThrottle;
  log: Logger;
}

type Phase = 'login' | 'full-feature' | 'closed';

export class Connection implements BindingConnection, TaskHost, PduSink {
  cid = 0;
  readonly out: PduWriter;
  private readonly reader: PduReader;
  private phase: Phase = 'login';
  private statSN = 0;
  private loginPhase: LoginPhase;
  private loginTimer?: NodeJS.Timeout;
  private session?: Session;
  private tttCounter = 0;
  private protocolErrors = 0;
  /** Reading stopped until the socket has sent what waits (holdReading). */
  private readingHeld = false;
  private pinger?: NopPinger;
  private dataOutWatch?: DataOutWatch;
  private text?: TextExchange;
  private logoutPending = false;
  private log: Logger;
  private readonly closeListeners: Array<() => void> = [];
  readonly dataOutBudget: ByteBudget;
  readonly dataInBudget: ByteBudget;
  /** Keeps a task's pooled buffer out of the pool while the reader lands a segment in it (an abort may release it meanwhile). */
  private landingHold?: () => void;
  /** A SCSI Command taken at its header (see landing()); its data segment comes with the next PDU delivered. */
  private commandAwaitingData?: { header: Buffer; task: ScsiTask | undefined };

  /** The connection's socket: `raw` itself, or the one reading it into the PDU reader's memory (see framedSocket). */
  readonly socket: Socket;
  /** Where the initiator connects from and the portal it reached (HOST:PORT), read at accept: a closed socket forgets them. */
  readonly peerAddress: string;
  readonly portalAddress: string;

  constructor(
    raw: Socket,
    private readonly ctx: ConnectionContext,
    /** Its place under `--max-connections`: one over the limit is refused at login unless its initiator is exempt. */
    slot?: SlotTicket,
  ) {
    this.dataOutBudget = new ByteBudget(DATA_OUT_BUDGET_BYTES, ctx.bufferMemory);
    this.dataInBudget = new ByteBudget(DATA_IN_BUDGET_BYTES, ctx.bufferMemory);
    this.reader = new PduReader({ maxRecvDataSegmentLength: LOGIN_MAX_RECV_DATA_SEGMENT_LENGTH, headerDigest: false, dataDigest: false }, this);
    const socket = framedSocket(raw, this.reader);
    this.socket = socket;
    const peerHost = socket.remoteAddress;
    this.peerAddress = formatHostPort(peerHost ?? '?', socket.remotePort ?? 0);
    this.portalAddress = formatHostPort(socket.localAddress ?? '?', socket.localPort ?? 0);
    this.log = ctx.log.child({ peer: this.peerAddress });
    this.out = new PduWriter(socket);
    const binder = new SessionBinder(ctx, this, this.log, slot);
    this.loginPhase = new LoginPhase(
      {
        send: (h, d) => this.out.send(h, d),
        takeStatSN: () => this.takeStatSN(),
        precheck: (id) => binder.precheck(id),
        bind: (outcome, id, cmdSN) => binder.bind(outcome, id, cmdSN),
        finished: (ok, reason, outcome) => this.loginFinished(ok, reason, outcome),
        authenticationFailed: (initiatorName) => {
          const hold = ctx.authFailures?.failed(authFailureSources(initiatorName, peerHost)) ?? 0;
          if (hold > 0) this.log.info({ initiator: initiatorName, holdMs: hold }, 'authentication failed: failure response held back');
          return hold;
        },
      },
      () => this.ctx.createNegotiator(this.loginEnvironment()),
      ctx.limits.queueDepth,
    );
    socket.setNoDelay(true);
    socket.on('error', (e) => this.log.debug({ err: e.message }, 'socket error'));
    socket.on('close', () => this.closed('peer closed the connection'));
    if (ctx.loginTimeoutMs > 0) {
      this.loginTimer = setTimeout(() => this.drop('login timed out'), ctx.loginTimeoutMs);
      this.loginTimer.unref();
    }
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  // ---- ResponseChannel / TaskHost -------------------------------------------------

  get params(): SessionParams {
    return this.session!.params;
  }

  get scsi(): ScsiTargetPort {
    return this.session!.scsi!;
  }

  get nexus(): Nexus {
    return this.session!.nexus!;
  }

  heldLun(lun: number): Promise<void> | undefined {
    return this.session?.heldLun(lun);
  }

  outputRoom(): Promise<void> | undefined {
    return this.out.unsent > MAX_UNSENT_OUTPUT_BYTES ? this.out.drained() : undefined;
  }

  get maxSendDataSegmentLength(): number {
    return this.session?.params.maxSendDataSegmentLength ?? LOGIN_MAX_RECV_DATA_SEGMENT_LENGTH;
  }

  get maxBurstLength(): number {
    return this.session!.params.maxBurstLength;
  }

  takeStatSN(): number {
    const s = this.statSN;
    this.statSN = serialAdd(this.statSN, 1);
    return s;
  }

  peekStatSN(): number {
    return this.statSN;
  }

  expCmdSN(): number {
    return this.session?.window.expCmdSN ?? 0;
  }

  maxCmdSN(): number {
    return this.session?.window.maxCmdSN ?? 0;
  }

  allocateTtt(): number {
    this.tttCounter = this.tttCounter >= 0xfffffffe ? 1 : this.tttCounter + 1;
    return this.tttCounter;
  }

  sendR2t(task: ScsiTask, r2t: R2tRequest): void {
    this.out.send(
      encodeR2t({
        lun: task.cmd.lun,
        itt: task.itt,
        ttt: r2t.ttt,
        statSN: this.statSN,
        expCmdSN: this.expCmdSN(),
        maxCmdSN: this.maxCmdSN(),
        r2tSN: r2t.r2tSN,
        bufferOffset: r2t.offset,
        desiredLength: r2t.length,
      }),
    );
  }

  dataOutViolation(task: ScsiTask, header: Buffer, message: string): void {
    // The PDU is rejected and the command ends without a response (the initiator fails it
    // on the Reject); the connection and the session's other tasks carry on.
    this.log.warn({ reason: message, itt: task.itt }, 'Data-Out sequence error; PDU rejected, command terminated');
    if (header.length >= BHS_LENGTH) this.sendReject(header, RejectReason.PROTOCOL_ERROR);
    void task.abort();
    this.countProtocolError(message);
  }

  taskDone(task: ScsiTask): void {
    this.session?.taskDone(task);
  }

  // ---- PduSink ---------------------------------------------------------------------

  /**
   * A data segment that spans socket chunks lands straight in its command's buffer: a
   * Data-Out's at the offset its task would accept it at, a SCSI Command's immediate data at
   * offset 0. For the latter the command is taken now, from its header (every check on it
   * needs the header alone); its data follows with the PDU. Anything else is framed as usual.
   */
  landing(header: Buffer, length: number): Buffer | undefined {
    if (this.phase !== 'full-feature' || this.logoutPending || this.session!.kind === 'Discovery') return undefined;
    const op = readOpcode(header);
    const landing =
      op === Opcode.DATA_OUT
        ? this.session!.tasks.get(readItt(header))?.dataOutLanding(decodeDataOut(header), length)
        : op === Opcode.SCSI_COMMAND
          ? this.takeCommandAtHeader(header, length)?.immediateLanding()
          : undefined;
    // (Taking the command may have dropped the connection: then nothing lands.)
    if (!landing || this.phase !== 'full-feature') return undefined;
    this.landingHold = landing.lease?.retain();
    return landing.region;
  }

  /** onPdu's SCSI Command path, before the data segment is in: that follows through commandAwaitingData. */
  private takeCommandAtHeader(header: Buffer, immediateLength: number): ScsiTask | undefined {
    let pdu;
    try {
      pdu = decodeScsiCommand(header);
    } catch (e) {
      if (!(e instanceof PduError)) throw e;
      return undefined; // onPdu rejects it when the PDU is in
    }
    let task: ScsiTask | undefined;
    try {
      task = this.onScsiCommand(pdu, immediateLength);
    } catch (e) {
      if (!(e instanceof PduError)) throw e;
      this.protocolError(header, e.reason, e.message);
    }
    this.commandAwaitingData = { header, task };
    return task;
  }

  onPdu(pdu: FramedPdu): void {
    this.endLanding();
    if (this.phase === 'closed') return;
    if (!this.readingHeld && this.out.unsent > MAX_UNSENT_OUTPUT_BYTES) this.holdReading();
    const awaiting = this.commandAwaitingData;
    if (awaiting) {
      this.commandAwaitingData = undefined;
      if (awaiting.header === pdu.header) return awaiting.task?.immediateArrived(pdu.data);
    }
    let decoded;
    try {
      decoded = decodeInitiatorPdu(pdu.header);
    } catch (e) {
      if (!(e instanceof PduError)) throw e;
      return this.protocolError(pdu.header, e.reason, e.message);
    }
    if (this.phase === 'login') {
      if (decoded.kind !== 'login') return this.drop(`${decoded.kind} PDU during login`);
      this.loginPhase.handle(decoded.pdu, pdu.data);
      return;
    }
    const session = this.session!;
    if (session.kind === 'Discovery' && !(decoded.kind === 'text' || decoded.kind === 'logout' || decoded.kind === 'nop-out')) {
      return this.protocolError(pdu.header, RejectReason.PROTOCOL_ERROR, `${decoded.kind} in a discovery session`);
    }
    if (this.logoutPending && decoded.kind !== 'data-out' && decoded.kind !== 'nop-out') {
      return this.protocolError(pdu.header, RejectReason.WAITING_FOR_LOGOUT, 'PDU after Logout');
    }
    try {
      switch (decoded.kind) {
        case 'scsi-command': {
          const task = this.onScsiCommand(decoded.pdu, pdu.data.length);
          if (pdu.data.length > 0) task?.immediateArrived(pdu.data);
          return;
        }
        case 'data-out':
          return this.onDataOut(pdu.header, decoded.pdu, pdu.data);
        case 'nop-out':
          return this.onNopOut(decoded.pdu, pdu.data);
        case 'task-mgmt':
          return this.onTaskMgmt(decoded.pdu);
        case 'text':
          return this.onText(pdu.header, decoded.pdu, pdu.data);
        case 'logout':
          return this.onLogout(decoded.pdu);
        case 'login':
          return this.protocolError(pdu.header, RejectReason.PROTOCOL_ERROR, 'Login Request in full feature phase');
      }
    } catch (e) {
      if (!(e instanceof PduError)) throw e;
      this.protocolError(pdu.header, e.reason, e.message);
    }
  }

  onFatal(reason: string): void {
    this.log.warn({ reason }, 'framing error; dropping connection');
    this.drop(reason);
  }

  onDataDigestError(header: Buffer): void {
    this.endLanding();
    this.commandAwaitingData = undefined;
    if (this.phase !== 'full-feature') return this.drop('data digest error during login');
    this.sendReject(header, RejectReason.DATA_DIGEST_ERROR);
    // RFC 7143 §7.8: at ErrorRecoveryLevel 0 lost command data cannot be recovered in the
    // connection (no SNACK / R2T recovery), so SCSI Command and Data-Out digest errors end it.
    const op = readOpcode(header);
    if (op === Opcode.SCSI_COMMAND || op === Opcode.DATA_OUT) this.drop('data digest error on command data');
    else this.countProtocolError('data digest error');
  }

  onOversizeSegment(header: Buffer, length: number): void {
    const reason = `DataSegmentLength ${length} exceeds our MaxRecvDataSegmentLength`;
    if (this.phase !== 'full-feature') return this.drop(reason);
    this.log.warn({ reason }, 'protocol error');
    this.sendReject(header, RejectReason.PROTOCOL_ERROR);
    const op = readOpcode(header);
    if (op === Opcode.SCSI_COMMAND || op === Opcode.DATA_OUT) this.drop(reason);
    else this.countProtocolError(reason);
  }

  // ---- login -----------------------------------------------------------------------

  private loginEnvironment(): LoginEnvironment {
    const { limits } = this.ctx;
    return {
      findTarget: (iqn) => this.ctx.targets.find(iqn)?.config,
      portalGroupTag: this.ctx.portalGroupTag,
      limits: {
        maxRecvDataSegmentLength: limits.maxRecvDataSegmentLength,
        maxBurstLength: limits.maxBurstLength,
        firstBurstLength: limits.firstBurstLength,
        maxOutstandingR2T: limits.maxOutstandingR2T,
      },
      discoveryChap: this.ctx.discoveryChap,
    };
  }

  /** Bound by the login (a new session, or one whose connection this one reinstates). */
  attach(session: Session): void {
    this.session = session;
  }

  /** A failed binding when the connection closed while its login waited (undefined while open). */
  closedWhileBinding(): Binding | undefined {
    if (this.phase !== 'closed') return undefined;
    return refusal(LoginStatus.TARGET_ERROR, 'connection closed during login');
  }

  private loginFinished(ok: boolean, reason: string, outcome?: LoginOutcome): void {
    clearTimeout(this.loginTimer);
    if (!ok || !outcome || !this.session) {
      this.log.info({ reason }, 'login failed');
      // Let the failure response drain, then close.
      this.phase = 'closed';
      this.reader.stop();
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
      return;
    }
    const p = outcome.params;
    this.phase = 'full-feature';
    // Digests and our declared limit apply from the first PDU after the final login response.
    this.reader.setLimits({ maxRecvDataSegmentLength: p.maxRecvDataSegmentLength, headerDigest: p.headerDigest, dataDigest: p.dataDigest });
    this.out.headerDigest = p.headerDigest;
    this.out.dataDigest = p.dataDigest;
    this.log = this.log.child({ tsih: this.session.tsih });
    this.log.info(
      {
        initiator: outcome.initiatorName,
        target: outcome.target?.iqn,
        sessionType: outcome.sessionType,
        isid: this.session.isid,
        params: {
          hd: p.headerDigest,
          dd: p.dataDigest,
          mrdsl: p.maxRecvDataSegmentLength,
          msdsl: p.maxSendDataSegmentLength,
          mbl: p.maxBurstLength,
          fbl: p.firstBurstLength,
          ir2t: p.initialR2T,
          imm: p.immediateData,
          r2t: p.maxOutstandingR2T,
        },
      },
      'login',
    );
    this.text = new TextExchange(this, () => this.allocateTtt(), () => this.sendTargetsContext());
    this.pinger = new NopPinger(
      { intervalMs: this.ctx.nopIntervalMs, timeoutMs: this.ctx.nopTimeoutMs },
      () => {
        const ttt = this.allocateTtt();
        sendPing(this, ttt);
        return ttt;
      },
      () => {
        this.log.warn({ timeoutMs: this.ctx.nopTimeoutMs }, 'NOP-In not answered; dropping connection');
        this.drop('NOP-In timeout');
      },
    );
    this.pinger.start();
    const dataOutTimeoutMs = this.ctx.dataOutTimeoutMs ?? DATA_OUT_TIMEOUT_MS;
    this.dataOutWatch = new DataOutWatch(
      dataOutTimeoutMs,
      () => this.session?.tasks.values() ?? [],
      () => this.readingHeld,
      () => {
        this.log.warn({ timeoutMs: dataOutTimeoutMs }, 'no Data-Out for a command that asked for it; dropping connection');
        this.drop('Data-Out timeout');
      },
    );
    this.dataOutWatch.start();
  }

  // ---- full feature phase ------------------------------------------------------------

  /** Takes a command whose data segment has `immediateLength` bytes (given to the task separately). */
  private onScsiCommand(pdu: ScsiCommandPdu, immediateLength: number): ScsiTask | undefined {
    const session = this.session!;
    const p = session.params;
    if (immediateLength > 0) {
      if (!pdu.write || !p.immediateData) throw new PduError(RejectReason.PROTOCOL_ERROR, 'unexpected immediate data');
      if (immediateLength > pdu.expectedLength || immediateLength > p.firstBurstLength) {
        throw new PduError(RejectReason.PROTOCOL_ERROR, 'immediate data beyond EDTL or FirstBurstLength');
      }
    }
    if (!pdu.immediate && !session.window.inWindow(pdu.cmdSN)) {
      this.log.debug({ cmdSN: pdu.cmdSN, expCmdSN: session.window.expCmdSN }, 'command outside the CmdSN window dropped');
      return undefined;
    }
    if (session.tasks.has(pdu.itt)) throw new PduError(RejectReason.PROTOCOL_ERROR, `ITT 0x${pdu.itt.toString(16)} already in use`);
    if (pdu.immediate && session.tasks.size >= 2 * this.ctx.limits.queueDepth) {
      throw new PduError(RejectReason.IMMEDIATE_COMMAND_REJECT, 'too many immediate commands');
    }
    const task = new ScsiTask(this, pdu, immediateLength);
    session.tasks.set(pdu.itt, task);
    const admitted = session.window.submit(pdu.cmdSN, pdu.immediate, () => session.startTask(task));
    if (admitted === 'dropped') {
      session.tasks.delete(pdu.itt);
      return undefined;
    }
    return task;
  }

  private onDataOut(header: Buffer, pdu: DataOutPdu, data: Buffer): void {
    const task = this.session!.tasks.get(pdu.itt);
    // Data for a task that was aborted (or never existed) is discarded silently.
    if (!task) return;
    task.onDataOut(header, pdu, data);
  }

  private onNopOut(pdu: NopOutPdu, data: Buffer): void {
    if (pdu.ttt !== RESERVED_TAG) this.pinger?.answered(pdu.ttt);
    if (pdu.itt === RESERVED_TAG) return;
    this.session!.window.submit(pdu.cmdSN, pdu.immediate, () => answerPing(this, pdu, data));
  }

  private onText(header: Buffer, pdu: TextRequestPdu, data: Buffer): void {
    this.session!.window.submit(pdu.cmdSN, pdu.immediate, () => {
      try {
        this.text!.handle(pdu, data);
      } catch (e) {
        if (!(e instanceof PduError)) throw e;
        this.protocolError(header, e.reason, e.message);
      }
    });
  }

  private onLogout(pdu: LogoutRequestPdu): void {
    this.session!.window.submit(pdu.cmdSN, pdu.immediate, () => {
      const session = this.session!;
      const decision = decideLogout(pdu, this.cid);
      this.log.info({ reason: pdu.reasonCode, response: decision.response }, 'logout');
      if (!decision.endsSession) {
        sendLogoutResponse(this, pdu, decision.response, 0);
        return;
      }
      this.logoutPending = true;
      // Outstanding tasks are terminated by the logout (RFC 7143 §11.14).
      void session.abortTasks().then(() => {
        sendLogoutResponse(this, pdu, decision.response, session.params.defaultTime2Wait);
        this.pinger?.stop();
        this.dataOutWatch?.stop();
        this.phase = 'closed';
        this.reader.stop();
        this.socket.end();
        session.end('logout');
      });
    });
  }

  private onTaskMgmt(pdu: TaskMgmtRequestPdu): void {
    const session = this.session!;
    session.window.submit(pdu.cmdSN, pdu.immediate, () => {
      void performTmf({ session, sessions: this.ctx.sessions }, pdu).then(
        (response) => {
          this.log.info({ function: pdu.function, response }, 'task management');
          sendTmfResponse(this, pdu, response);
          if (pdu.function === TmfFunction.TARGET_COLD_RESET && response === TmfResponse.COMPLETE) {
            // TARGET COLD RESET: answer, then drop every session of the target (RFC 7143 §11.5.1),
            // this one included even if it has left the registry already, each once.
            const target = session.target?.iqn;
            for (const s of new Set([session, ...(target ? this.ctx.sessions.forTarget(target) : [])])) s.end('target cold reset');
          }
        },
        (e: unknown) => {
          this.log.error({ err: (e as Error).message }, 'task management failed');
          sendTmfResponse(this, pdu, TmfResponse.REJECTED);
        },
      );
    });
  }

  private sendTargetsContext(): SendTargetsContext {
    const s = this.session!;
    let portal: string;
    if (this.ctx.advertiseAddress) {
      portal = `${this.ctx.advertiseAddress},${this.ctx.portalGroupTag}`;
    } else {
      portal = formatPortalAddress(this.socket.localAddress ?? '0.0.0.0', this.socket.localPort ?? 3260, this.ctx.portalGroupTag);
    }
    return {
      sessionType: s.kind,
      initiatorName: s.initiatorName,
      sessionTarget: s.target,
      targets: this.ctx.targets.all().map((t) => t.config),
      portal,
    };
  }

  // ---- errors and teardown ---------------------------------------------------------------

  private sendReject(header: Buffer, reason: number): void {
    const offending = header.subarray(0, BHS_LENGTH);
    this.out.send(
      encodeReject({ reason, statSN: this.takeStatSN(), expCmdSN: this.expCmdSN(), maxCmdSN: this.maxCmdSN(), dataSN: 0 }, offending.length),
      Buffer.from(offending),
    );
  }

  private protocolError(header: Buffer, reason: number, message: string): void {
    if (this.phase !== 'full-feature') return this.drop(`protocol error during login: ${message}`);
    this.log.warn({ reason, message }, 'protocol error; PDU rejected');
    this.sendReject(header, reason);
    this.countProtocolError(message);
  }

  /**
   * A peer that does not read what we send stops being read (TCP's own backpressure): what
   * its PDUs would add (a NOP-In echoing each ping's data, answers to immediate commands,
   * which no CmdSN window bounds) waits in its socket, not in our memory.
   */
  private holdReading(): void {
    this.readingHeld = true;
    this.socket.pause();
    void this.out.drained().then(() => {
      this.readingHeld = false;
      this.dataOutWatch?.readingResumed();
      if (this.phase !== 'closed') this.socket.resume();
    });
  }

  private endLanding(): void {
    this.landingHold?.();
    this.landingHold = undefined;
  }

  private countProtocolError(message: string): void {
    if (++this.protocolErrors > MAX_PROTOCOL_ERRORS) this.drop(`too many protocol errors (last: ${message})`);
  }

  /** Closes the socket now. The session (ERL0, one connection) ends with it. */
  drop(reason: string): void {
    if (this.phase !== 'closed') {
      this.log.info({ reason }, 'connection dropped');
    }
    this.phase = 'closed';
    this.reader.stop();
    // Responses sent just before the drop (a Reject, a TMF response) must still go out.
    this.out.flush();
    this.socket.destroy();
    this.closed(reason);
  }

  private closedOnce = false;

  private closed(reason: string): void {
    if (this.closedOnce) return;
    this.closedOnce = true;
    this.phase = 'closed';
    // No segment lands any more: the task's buffer (its owner released it with the abort) may go back to the pool.
    this.reader.stop();
    this.endLanding();
    this.loginPhase.close();
    clearTimeout(this.loginTimer);
    this.pinger?.stop();
    this.dataOutWatch?.stop();
    const s = this.session;
    if (s && s.connection === this) s.end(reason);
    for (const l of this.closeListeners) l();
  }
}
