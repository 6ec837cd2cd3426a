/**
 * The contract between the transport (src/target) and the SCSI layer. The SCSI layer
 * knows nothing of sockets or PDUs: it sees an I_T nexus, a CDB, and Data-Out bytes.
 */
import type { BufferHold, BufferLease } from '../util/buffer-pool.js';

export const ScsiStatus = {
  GOOD: 0x00,
  CHECK_CONDITION: 0x02,
  CONDITION_MET: 0x04,
  BUSY: 0x08,
  RESERVATION_CONFLICT: 0x18,
  TASK_SET_FULL: 0x28,
  ACA_ACTIVE: 0x30,
  TASK_ABORTED: 0x40,
} as const;

/** An I_T nexus: one iSCSI session (initiator port = name + ISID, target port = name + TPGT). */
export interface Nexus {
  /** Stable key for maps: `${initiatorName},i,0x${isid}|${targetName},t,0x${tpgt}`. */
  readonly id: string;
  readonly initiatorName: string;
  /** 6-byte ISID as 12 lowercase hex digits. */
  readonly isid: string;
  readonly targetName: string;
  readonly tpgt: number;
  /** Relative target port identifier (VPD 83h), 1-based. */
  readonly relativePortId: number;
}

export const TaskAttribute = { SIMPLE: 0, ORDERED: 1, HEAD_OF_QUEUE: 2, ACA: 4 } as const;

export interface ScsiRequest {
  nexus: Nexus;
  /** LUN as the 8-byte field's first-level address (0..16383). */
  lun: number;
  /** Always at least 16 bytes (the transport appends AHS extended CDB bytes when present). */
  cdb: Buffer;
  /** Expected Data Transfer Length from the transport, and its direction flags. */
  expectedLength: number;
  read: boolean;
  write: boolean;
  taskAttribute: number;
}

export interface ScsiResult {
  status: number;
  /** Encoded sense data (fixed or descriptor per the LU's D_SENSE), when status is CHECK CONDITION. */
  sense?: Buffer;
  /** Data-In; the transport truncates it to the expected length and reports the residual. */
  dataIn?: Buffer;
  /** Pooled memory behind `dataIn`: the transport releases it once the bytes are on the socket (or dropped). */
  dataInLease?: BufferLease;
}

/**
 * A parsed, validated command waiting for its Data-Out. The transport requests exactly
 * `dataOutLength` bytes (bounded by the LU's maximum transfer length, so memory is bounded
 * by our limits, not the peer's claim) and then calls `run`.
 */
export interface PreparedCommand {
  readonly dataOutLength: number;
  /** The most Data-In bytes `run` may return, when that can be large (HandlerPlan.dataInLength). */
  readonly dataInLength?: number;
  /** The result, when it was known while preparing (a refusal before any data moved): `run` resolves to it. */
  readonly outcome?: ScsiResult;
  /**
   * `dataOut` is lent until the returned promise settles (the transport may reuse its
   * memory then); `hold`, when given, lets whatever keeps it longer say so (BufferHold).
   */
  run(dataOut: Buffer | undefined, hold?: BufferHold): Promise<ScsiResult>;
  /**
   * ABORT TASK (or a reset) reached the command while `run` was pending: settle `run` soon,
   * leaving behind any operation the command started that must outlive it (SANITIZE).
   */
  abandon?(): void;
  /** The command ends without `run` being called (aborted before its data came, or refused by the transport): it leaves the LU's task set. */
  drop?(): void;
}

/** Reservation-conflict classes, after tgt's sbc.c table and SPC-4 Table 62 / SBC-3 Table 45. */
export const enum ConflictClass {
  /** Always allowed (INQUIRY, REPORT LUNS, REQUEST SENSE, ...). */
  Allowed = 0,
  /** Conflicts when another nexus holds any reservation type that excludes reads. */
  Read = 1,
  /** Conflicts when another nexus holds a reservation excluding writes. */
  Write = 2,
  /** Conflicts with any reservation held by another nexus (e.g. MODE SELECT). */
  Exclusive = 3,
  /** PERSISTENT RESERVE IN/OUT: handled by the PR logic itself. */
  PersistentReserve = 4,
  /** RESERVE/RELEASE(6/10): handled by the legacy-reservation logic itself. */
  LegacyReserve = 5,
}

export type DataDirection = 'none' | 'in' | 'out';

export interface CommandContext {
  req: ScsiRequest;
  cdb: Buffer;
  nexus: Nexus;
}

/** Task management results the SCSI layer can report (RFC 7143 §11.6.1 response codes). */
export const TmfResponse = {
  COMPLETE: 0,
  TASK_DOES_NOT_EXIST: 1,
  LUN_DOES_NOT_EXIST: 2,
  TASK_STILL_ALLEGIANT: 3,
  NOT_SUPPORTED: 5,
  AUTHORIZATION_FAILED: 6,
  REJECTED: 255,
} as const;

/**
 * The transport's side of a task abort the SCSI layer decides (PERSISTENT RESERVE OUT /
 * PREEMPT AND ABORT): the same abort as ABORT TASK SET's, for other I_T nexuses' tasks.
 */
export interface TaskAborter {
  /**
   * Aborts every task on `lun` of the nexuses `which` selects (queued, waiting for data,
   * or running), as ABORT TASK SET does: each ends without a response, or with `answer`
   * when given (the Control page's TAS set: TASK ABORTED). Resolves once none of them
   * still runs in the SCSI layer (a write already handed to the device has landed or failed).
   */
  abortTasks(lun: number, which: (nexus: Nexus) => boolean, answer?: ScsiResult): Promise<void>;
}

/**
 * What the transport calls: one per iSCSI target (a SCSI target device with its LUs).
 * Implemented by src/scsi/scsi-target.ts.
 */
export interface ScsiTargetPort {
  readonly name: string;
  /** Parse and validate; never throws (errors come back as a plan whose run() yields CHECK CONDITION). */
  prepare(req: ScsiRequest): PreparedCommand;
  hasLun(lun: number): boolean;
  /** LOGICAL UNIT RESET from `by`: UA 29h/03h for other nexuses, legacy reservations dropped. */
  lunReset(lun: number, by: Nexus): void;
  /** TARGET WARM/COLD RESET from `by`: every LU reset, UA 29h/02h or 29h/01h. */
  targetReset(by: Nexus, cold: boolean): void;
  /**
   * CLEAR TASK SET / ABORT TASK SET by `by` on `lun`; `clearedFor`: the other nexuses whose
   * commands a CLEAR TASK SET aborted without status, the Control page's TAS being clear when
   * it did (none for ABORT TASK SET): each gets UA 2Fh/00h (SAM-5 §5.6).
   */
  taskSetCleared(lun: number, by: Nexus, clearedFor: readonly Nexus[]): void;
  /** A session ended: release what the nexus held that does not survive it. */
  nexusLost(nexus: Nexus): void;
  /** First command (or login) from a nexus: register it so unit attentions reach it. */
  nexusSeen(nexus: Nexus): void;
  /**
   * What a task on `lun` aborted by another I_T nexus's action (CLEAR TASK SET, LOGICAL UNIT
   * RESET, a target reset, PREEMPT AND ABORT) answers: TASK ABORTED with the Control mode
   * page's TAS set, else undefined, it ends without status (SAM-5 §5.6).
   */
  abortedTaskAnswer?(lun: number): ScsiResult | undefined;
  /** The transport gives the SCSI layer its way to abort other nexuses' tasks (PREEMPT AND ABORT); once, before serving. */
  bindTaskAborter?(aborter: TaskAborter): void;
  close(): Promise<void>;
}
