import type { BufferHold, BufferLease } from '../util/buffer-pool.js';
import type { CommandContext, ConflictClass, DataDirection } from './types.js';
import type { LogicalUnit } from './logical-unit.js';

/**
 * What a handler returns once the CDB is validated: how many Data-Out bytes it needs,
 * and the work to do with them. `run` returns Data-In (or nothing) for GOOD status and
 * throws SenseError (CHECK CONDITION) or StatusError (other statuses). Data-In in a
 * BufferLease is pooled memory the transport releases once it has sent it.
 *
 * `dataOut` is lent until `run` settles: a handler that keeps any of it longer copies it,
 * or passes `hold` on to the device it writes to (BlockDevice.write).
 */
export interface HandlerPlan {
  dataOutLength: number;
  /**
   * The most Data-In bytes `run` may return, for commands whose answer can be large (a
   * READ): the transport reserves that much of its connection's memory before running it.
   */
  dataInLength?: number;
  run(dataOut: Buffer | undefined, hold?: BufferHold): Promise<Buffer | BufferLease | void> | Buffer | BufferLease | void;
  /**
   * The task was aborted while `run` was pending: settle it now. Only for work that outlives
   * its command (a SANITIZE with IMMED=0: the sanitize operation goes on, SBC-3 §4.11).
   */
  abandon?(): void;
}

/**
 * One entry per opcode (and service action), after tgt's sbc.c: dispatch, reservation
 * checks, read-only checks and REPORT SUPPORTED OPERATION CODES all read this table.
 */
export interface CommandDescriptor {
  name: string;
  opcode: number;
  /** For opcodes multiplexed by service action (9Eh, A3h, 5Eh, 5Fh, 83h, 84h, 7Fh...). */
  serviceAction?: number;
  cdbLength: number;
  direction: DataDirection;
  /** Changes the medium: rejected with DATA PROTECT / WRITE PROTECTED on a read-only LU. */
  writesMedium: boolean;
  /**
   * Touches the medium: NOT READY, MEDIUM NOT PRESENT while a removable medium is ejected
   * (the commands libiscsi's NoMedia.NoMediaSBC lists). Checked before the handler runs.
   */
  accessesMedium: boolean;
  conflict: ConflictClass;
  /**
   * ALUA (SPC-4 §5.15.2.4): a host may run it through a port group that is not active.
   * 'standby': in the standby state (SPC-4 §5.15.2.4.5: readiness, capacity, mode pages,
   * reservations); 'inactive': in the unavailable and transitioning states too (INQUIRY,
   * REPORT LUNS, REQUEST SENSE, the MAINTENANCE IN reports, Tandem's vendor commands).
   * Absent: only through an active port; otherwise NOT READY, LOGICAL UNIT NOT ACCESSIBLE
   * with the port's state (04h/0Bh, 0Ch, 0Ah).
   */
  allowedInStandby?: 'standby' | 'inactive';
  /** CDB usage data for REPORT SUPPORTED OPERATION CODES: byte 0 is the opcode, then the bits a client may set. */
  usage: readonly number[];
  /** INQUIRY, REPORT LUNS, REQUEST SENSE: run while a unit attention is pending, without clearing it. */
  bypassesUnitAttention?: boolean;
  /**
   * SYNCHRONIZE CACHE: from the replicating primary's nexus, a SIMPLE one runs outside the
   * task set, neither waiting for older tasks nor holding newer ones back: it is a
   * confirmation, which counts on covering only writes already answered, and a flush of a
   * few hundred MiB would otherwise stall every ORDERED batch pipelined behind it for
   * seconds. An ORDERED one is the primary's barrier between two host epochs and keeps SAM's
   * ordering, as a host's flush does.
   */
  replicatorUnordered?: boolean;
  /**
   * A command of the primary's replica stream (WRITE, WRITE SCATTERED, UNMAP, SYNCHRONIZE
   * CACHE): from the replicator's nexus, its failure fences the replicator's later commands
   * until it clears its task set (replicator-fence.ts).
   */
  replicaStream?: boolean;
  /** INQUIRY, REPORT LUNS, REQUEST SENSE: run while a sanitize operation is in progress (SBC-3 §4.11). */
  allowedDuringSanitize?: boolean;
  /**
   * Whether this LU has the command (e.g. SANITIZE BLOCK ERASE only where discard works);
   * absent: every LU. Dispatch and REPORT SUPPORTED OPERATION CODES both ask.
   */
  availableOn?(lu: LogicalUnit): boolean;
  /** Validate the CDB (throw SenseError with a field pointer) and plan the work. */
  prepare(lu: LogicalUnit, ctx: CommandContext): HandlerPlan;
}

/** A non-GOOD, non-CHECK CONDITION status (RESERVATION CONFLICT, CONDITION MET, BUSY). */
export class StatusError extends Error {
  constructor(readonly status: number) {
    super(`SCSI status 0x${status.toString(16)}`);
    this.name = 'StatusError';
  }
}
