/**
 * One SCSI command's life on a connection: queued for its CmdSN turn, collecting
 * Data-Out, running in the SCSI layer (one promise), and answered (unless aborted).
 *
 * Its Data-Out buffer (pooled when large) is held from the moment the budget grants it
 * until the command is done; the SCSI layer gets it lent for `run`, with the lease as the
 * hold a device takes to keep it longer (BlockDevice.write). A command that answers with
 * much data (a READ) runs once the connection's Data-In budget holds room for it, which
 * comes back when the socket has written that data.
 */
import { taskAttributeOf } from './task-attribute.js';
import type { DataOutPdu } from '../iscsi/pdu/data-out.js';
import { lunFromField } from '../iscsi/pdu/bhs.js';
import type { ScsiCommandPdu } from '../iscsi/pdu/scsi-command.js';
import { MAX_TRANSFER_BYTES } from '../scsi/limits.js';
import { Asc, SenseKey, encodeFixedSense } from '../scsi/sense.js';
import { ScsiStatus, type Nexus, type PreparedCommand, type ScsiResult, type ScsiTargetPort } from '../scsi/types.js';
import { UNPOOLED_HOLD, ioBufferPool, type BufferLease } from '../util/buffer-pool.js';
import { residualOf, sendCommandOutcome, type ResponseChannel } from './data-in.js';
import type { ByteBudget } from './byte-budget.js';
import { DataOutCollector, type R2tRequest } from './data-out.js';
import type { SessionParams } from '../iscsi/session-params.js';
import { RESERVED_TAG } from '../iscsi/pdu/opcodes.js';

export interface TaskHost extends ResponseChannel {
  readonly scsi: ScsiTargetPort;
  readonly nexus: Nexus;
  readonly params: SessionParams;
  /** Bounds the Data-Out buffers this connection's tasks hold at once. */
  readonly dataOutBudget: ByteBudget;
  /** Bounds the Data-In buffers this connection's tasks hold at once, running or unsent. */
  readonly dataInBudget: ByteBudget;
  /** What a command must wait for before it runs because the socket holds too much unsent; undefined: nothing. */
  outputRoom(): Promise<void> | undefined;
  allocateTtt(): number;
  sendR2t(task: ScsiTask, r2t: R2tRequest): void;
  /** A Data-Out broke its sequence: Reject it and terminate the task without a response. */
  dataOutViolation(task: ScsiTask, header: Buffer, message: string): void;
  /** The task left the task set (answered, aborted or failed). */
  taskDone(task: ScsiTask): void;
  /** What a command to `lun` must wait for before it runs (an ended session's tasks there); undefined: nothing. */
  heldLun(lun: number): Promise<void> | undefined;
}

/** `held`: all its data is in, and it waits before it runs: for the LU's hold (TaskHost.heldLun), room on the socket, or Data-In budget. */
type TaskState = 'queued' | 'collecting' | 'held' | 'running' | 'done';

interface EarlyDataOut {
  header: Buffer;
  pdu: DataOutPdu;
  data: Buffer;
}

/** Where a data segment of this task lands: memory of its buffer, and the pooled lease behind it. */
export interface Landing {
  region: Buffer;
  lease?: BufferLease;
}

export class ScsiTask {
  state: TaskState = 'queued';
  /** Set by task management: the task ends without a response (or with abortAnswer). */
  aborted = false;
  /** What an aborted task answers instead of its result (TAS set, aborted by another nexus); undefined: nothing. */
  private abortAnswer: ScsiResult | undefined;
  readonly lun: number;
  private early?: EarlyDataOut[];
  private earlyBytes = 0;
  /** Only for commands with the W bit: nothing else can carry Data-Out. */
  private collector?: DataOutCollector;
  private plan?: PreparedCommand;
  private needed = 0;
  private wanted = 0;
  private tooLarge = false;
  private running?: Promise<void>;
  /** The SCSI layer's run was called: it leaves the task set itself. */
  private ran = false;
  /** Budget bytes this task holds (its Data-Out buffer), returned when it is done. */
  private reserved = 0;
  private cancelReservation?: () => void;
  /** Data-In budget bytes this task holds, returned once its answer's data has been written. */
  private reservedDataIn = 0;
  private cancelDataInReservation?: () => void;
  /** When the task last made data progress while waiting for more (DataOutWatch). */
  private dataProgressAt: number | undefined;
  /** Immediate data the command header announced and that has not arrived yet. */
  private immediatePending: number;
  /** Immediate data that arrived before the collector existed. */
  private immediate?: Buffer;

  constructor(
    private readonly host: TaskHost,
    readonly cmd: ScsiCommandPdu,
    /** DataSegmentLength of the command PDU; the bytes come through immediateArrived. */
    private readonly immediateLength: number,
  ) {
    this.lun = lunFromField(cmd.lun);
    this.immediatePending = immediateLength;
  }

  get itt(): number {
    return this.cmd.itt;
  }

  /** Since when it has waited for data it asked for (or was announced), with none arriving; undefined: not waiting. */
  get awaitingDataSince(): number | undefined {
    return this.state === 'collecting' ? this.dataProgressAt : undefined;
  }

  /** Initiator's expected write length; zero unless the W bit is set. */
  private get writeExpected(): number {
    return this.cmd.write ? this.cmd.expectedLength : 0;
  }

  /** Called in CmdSN order. */
  start(): void {
    if (this.aborted || this.state !== 'queued') return;
    try {
      this.plan = this.host.scsi.prepare({
        nexus: this.host.nexus,
        lun: this.lun,
        cdb: this.cmd.cdb,
        expectedLength: this.cmd.expectedLength,
        read: this.cmd.read,
        write: this.cmd.write,
        taskAttribute: taskAttributeOf(this.cmd.attribute),
      });
    } catch {
      this.finish(internalFailure());
      return;
    }
    this.needed = this.plan.dataOutLength;
    // Memory is bounded by our own limit, never by the peer's EDTL.
    this.tooLarge = this.needed > MAX_TRANSFER_BYTES;
    this.wanted = this.tooLarge ? 0 : Math.min(this.writeExpected, this.needed);
    if (this.wanted === 0) return this.beginCollecting();
    // Until the budget grants the buffer the task stays queued; early unsolicited data is
    // still bounded by FirstBurstLength there. A pooled buffer counts at its size class.
    const bytes = ioBufferPool.footprint(this.wanted);
    this.cancelReservation = this.host.dataOutBudget.acquire(bytes, () => {
      this.cancelReservation = undefined;
      this.reserved = bytes;
      this.beginCollecting();
    });
  }

  private beginCollecting(): void {
    if (this.aborted || this.state !== 'queued') return;
    if (!this.cmd.write) return this.run();
    const p = this.host.params;
    this.collector = new DataOutCollector(
      {
        wanted: this.wanted,
        expectedLength: this.writeExpected,
        unsolicitedFollows: !p.initialR2T && !this.cmd.final,
        firstBurstLength: p.firstBurstLength,
        maxBurstLength: p.maxBurstLength,
        maxOutstandingR2T: Math.max(1, p.maxOutstandingR2T),
      },
      ioBufferPool,
    );
    this.state = 'collecting';
    // Data-Out follows the command's own segment on the wire: none can be early while it is still arriving.
    if (this.immediatePending > 0) return;
    if (this.immediate) {
      const err = this.collector.acceptImmediate(this.immediate);
      this.immediate = undefined;
      if (err) return this.host.dataOutViolation(this, EMPTY, err);
    }
    const early = this.early;
    this.early = undefined;
    for (const e of early ?? []) {
      const err = this.collector.acceptDataOut(e.pdu, e.data);
      if (err) return this.host.dataOutViolation(this, e.header, err);
    }
    this.advance();
  }

  /** Where the command's immediate data can land while it arrives, if the buffer is ready for it. */
  immediateLanding(): Landing | undefined {
    if (this.state !== 'collecting' || this.aborted || this.immediatePending === 0) return undefined;
    return this.landing(this.collector!.immediateLanding(this.immediatePending));
  }

  /** The command PDU's data segment, complete (possibly already in place, see immediateLanding). */
  immediateArrived(data: Buffer): void {
    this.immediatePending = 0;
    if (this.aborted) return;
    if (this.state === 'queued') {
      this.immediate = data;
      return;
    }
    if (this.state !== 'collecting') return;
    const err = this.collector!.acceptImmediate(data);
    if (err) return this.host.dataOutViolation(this, EMPTY, err);
    this.advance();
  }

  /** Where this Data-Out's segment can land while it arrives, if the task would accept it whole. */
  dataOutLanding(pdu: DataOutPdu, length: number): Landing | undefined {
    if (this.state !== 'collecting' || this.aborted) return undefined;
    return this.landing(this.collector!.landingFor(pdu, length));
  }

  private landing(region: Buffer | undefined): Landing | undefined {
    return region && { region, lease: this.collector!.lease };
  }

  onDataOut(header: Buffer, pdu: DataOutPdu, data: Buffer): void {
    if (this.aborted) return;
    switch (this.state) {
      case 'queued': {
        // Only unsolicited data can precede our turn (no R2T went out yet); bound it by the
        // unsolicited burst, in bytes and in PDUs (zero-length ones add no bytes).
        const p = this.host.params;
        if (pdu.ttt !== RESERVED_TAG || p.initialR2T || this.cmd.final) {
          return this.host.dataOutViolation(this, header, 'Data-Out before the command asked for it');
        }
        this.earlyBytes += data.length;
        const limit = Math.min(p.firstBurstLength, this.writeExpected);
        if (this.earlyBytes + this.immediateLength > limit) {
          return this.host.dataOutViolation(this, header, 'unsolicited data beyond FirstBurstLength');
        }
        const early = (this.early ??= []);
        if (early.length >= maxEarlyDataOut(p.firstBurstLength)) {
          return this.host.dataOutViolation(this, header, 'more unsolicited Data-Out PDUs than FirstBurstLength takes');
        }
        early.push({ header, pdu, data });
        return;
      }
      case 'collecting': {
        const err = this.collector!.acceptDataOut(pdu, data);
        if (err) return this.host.dataOutViolation(this, header, err);
        this.advance();
        return;
      }
      default:
        this.host.dataOutViolation(this, header, 'Data-Out after the command has all its data');
    }
  }

  private advance(): void {
    if (this.state !== 'collecting') return;
    const c = this.collector!;
    if (c.complete) return this.run();
    this.dataProgressAt = performance.now();
    for (const r2t of c.nextR2ts(() => this.host.allocateTtt())) this.host.sendR2t(this, r2t);
  }

  private run(): void {
    const hold = this.host.heldLun(this.lun);
    if (hold) return this.waitThen(hold, () => this.makeRoom());
    this.makeRoom();
  }

  /** An abort meanwhile ends the task without running it (abort() moves it to done). */
  private waitThen(wait: Promise<void>, next: () => void): void {
    this.state = 'held';
    void wait.then(() => {
      if (this.state === 'held') next();
    });
  }

  /** Runs once the socket has room and the Data-In budget holds the answer's buffer. */
  private makeRoom(): void {
    const room = this.host.outputRoom();
    if (room) return this.waitThen(room, () => this.makeRoom());
    const dataIn = this.plan!.dataInLength ?? 0;
    if (dataIn === 0) return this.execute();
    // Counted as the memory it takes: a pooled buffer at its size class.
    const bytes = ioBufferPool.footprint(Math.min(dataIn, MAX_TRANSFER_BYTES));
    this.state = 'held';
    this.cancelDataInReservation = this.host.dataInBudget.acquire(bytes, () => {
      this.cancelDataInReservation = undefined;
      this.reservedDataIn = bytes;
      if (this.state === 'held') this.execute();
    });
  }

  private execute(): void {
    this.state = 'running';
    if (this.tooLarge) {
      this.finish({
        status: ScsiStatus.CHECK_CONDITION,
        sense: encodeFixedSense({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.INVALID_FIELD_IN_CDB }),
      });
      return;
    }
    const c = this.collector;
    // A shorter buffer than dataOutLength means the initiator's EDTL cut the transfer short
    // (to nothing without the W bit).
    const dataOut = this.needed === 0 ? undefined : c ? c.buffer : EMPTY;
    // A buffer outside the pool (small, or the command PDU's own segment) is never reused:
    // a device may keep it as it is.
    this.ran = true;
    this.running = this.plan!.run(dataOut, c?.lease ?? UNPOOLED_HOLD).then(
      (result) => this.finish(result),
      () => this.finish(internalFailure()),
    );
  }

  /** A task that ends without running leaves its LU's task set (tasks behind an ORDERED one wait for it). */
  private leaveTaskSet(): void {
    if (!this.ran) this.plan?.drop?.();
  }

  private returnBudget(): void {
    this.cancelReservation?.();
    this.cancelReservation = undefined;
    if (this.reserved > 0) this.host.dataOutBudget.release(this.reserved);
    this.reserved = 0;
    this.cancelDataInReservation?.();
    this.cancelDataInReservation = undefined;
  }

  /** What lets the answer's data go once written: its pooled lease and its Data-In budget. */
  private dataInRelease(result: ScsiResult): (() => void) | undefined {
    const lease = result.dataInLease;
    const bytes = this.reservedDataIn;
    this.reservedDataIn = 0;
    if (bytes === 0) return lease ? () => lease.release() : undefined;
    const budget = this.host.dataInBudget;
    return () => {
      lease?.release();
      budget.release(bytes);
    };
  }

  /** The Data-Out buffer goes back to the pool (unless a device holds it too). */
  private releaseBuffer(): void {
    this.collector?.lease?.release();
  }

  private finish(result: ScsiResult): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.leaveTaskSet();
    this.returnBudget();
    this.releaseBuffer();
    let dataInSent = this.dataInRelease(result);
    if (this.aborted && this.abortAnswer) {
      // Aborted with TAS set: TASK ABORTED in place of whatever it did, its data not sent.
      dataInSent?.();
      dataInSent = undefined;
      result = this.abortAnswer;
    }
    if ((!this.aborted || this.abortAnswer) && this.host.out.writable) {
      const isWrite = this.cmd.write || this.needed > 0;
      let dataIn = result.dataIn;
      let residual;
      let bidiResidual;
      if (isWrite) {
        residual = residualOf(this.writeExpected, this.needed);
        dataIn = undefined;
        // A bidirectional command's read part gets no Data-In here: all of it is residual (RFC 7143 §11.4.5.1).
        if (this.cmd.read && this.cmd.bidiReadLength) bidiResidual = residualOf(this.cmd.bidiReadLength, 0);
      } else {
        const expected = this.cmd.read ? this.cmd.expectedLength : 0;
        const actual = dataIn?.length ?? 0;
        residual = residualOf(expected, actual);
        if (dataIn && actual > expected) dataIn = dataIn.subarray(0, expected);
      }
      sendCommandOutcome(this.host, {
        itt: this.cmd.itt,
        lunField: this.cmd.lun,
        status: result.status,
        sense: result.status === ScsiStatus.CHECK_CONDITION ? result.sense : undefined,
        dataIn,
        dataInSent,
        residual,
        ...(bidiResidual ? { bidiResidual } : {}),
        r2tsSent: this.collector?.r2tsSent ?? 0,
      });
    } else {
      dataInSent?.();
    }
    this.host.taskDone(this);
  }

  /**
   * Ends the task without a response, or with `answer` (a task aborted by another nexus's
   * action while the Control page's TAS is set: TASK ABORTED), sent once the SCSI layer is
   * done with it. An abort without an answer (the initiator's own) wins over one with.
   * Resolves once the SCSI layer no longer works on it (immediately unless it is running).
   */
  abort(answer?: ScsiResult): Promise<void> {
    this.abortAnswer = !this.aborted || this.abortAnswer ? answer : undefined;
    this.aborted = true;
    if (this.state === 'running' && this.running) {
      // Work that outlives its command (a SANITIZE) stops holding the task; the rest finishes first.
      this.plan?.abandon?.();
      return this.running;
    }
    if (this.state !== 'done') {
      this.early = undefined;
      this.finish(answer ?? NO_RESULT);
    }
    return Promise.resolve();
  }
}

const EMPTY = Buffer.alloc(0);
/** What an aborted task that never ran ends with (nothing is sent for it). */
const NO_RESULT: ScsiResult = Object.freeze({ status: ScsiStatus.TASK_ABORTED });

/**
 * Unsolicited Data-Out PDUs a queued command keeps: MaxRecvDataSegmentLength is at least 512,
 * so a first burst never takes more than one per 512 bytes (and a few spare).
 */
function maxEarlyDataOut(firstBurstLength: number): number {
  return Math.max(4, Math.ceil(firstBurstLength / 512));
}

function internalFailure(): ScsiResult {
  return {
    status: ScsiStatus.CHECK_CONDITION,
    sense: encodeFixedSense({ key: SenseKey.HARDWARE_ERROR, asc: Asc.INTERNAL_TARGET_FAILURE }),
  };
}
