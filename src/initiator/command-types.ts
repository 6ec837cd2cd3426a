/** The command interface shared by IscsiSession and ReconnectingSession. */
import type { DataOut } from './data-out.js';
import type { ParsedSense } from './sense-parse.js';

/** SAM task attributes as carried in the SCSI Command PDU (RFC 7143 §11.3.1). */
export const TaskAttribute = {
  UNTAGGED: 0,
  SIMPLE: 1,
  ORDERED: 2,
  HEAD_OF_QUEUE: 3,
  ACA: 4,
} as const;
export type TaskAttributeValue = (typeof TaskAttribute)[keyof typeof TaskAttribute];

export interface CommandRequest {
  lun: number;
  /** Up to 260 bytes; more than 16 travel in an extended-CDB AHS. */
  cdb: Buffer;
  /** Data-Out; referenced, not copied, until the command completes. */
  dataOut?: DataOut;
  /** Bytes of Data-In expected; the receive buffer is allocated once at this size. */
  dataInLength?: number;
  taskAttribute?: TaskAttributeValue;
  /** Overrides the session's command timeout. */
  timeoutMs?: number;
  /** Aborting sends ABORT TASK (or drops the command if it has not been sent yet). */
  signal?: AbortSignal;
  /**
   * ReconnectingSession only: may be re-issued after a connection loss although it may
   * have executed. Defaults to true for reads and other side-effect-free opcodes.
   */
  idempotent?: boolean;
}

export interface CommandResult {
  /** SCSI status byte (GOOD 0x00, CHECK CONDITION 0x02, ...). */
  status: number;
  /** Parsed sense data, present with CHECK CONDITION. */
  sense?: ParsedSense;
  /** Raw sense bytes, as received. */
  senseData?: Buffer;
  /** Data-In as received (length = bytes the target sent). */
  dataIn?: Buffer;
  /** Residual count from the target: bytes not transferred (underflow) or not asked for (overflow). */
  residual: number;
  residualOverflow: boolean;
}

/** A started command: its ITT (for abortTask) and its outcome. */
export interface CommandHandle {
  itt: number;
  result: Promise<CommandResult>;
}

export interface CommandIssuer {
  command(request: CommandRequest): Promise<CommandResult>;
}
