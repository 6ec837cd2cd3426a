/**
 * The SCSI target device behind one iSCSI target: routes each command to its LU through
 * the SAM-5 checks (LUN present, opcode known, unit attention, ALUA access state,
 * reservation, medium, write protect, CONTROL byte), then the handler; and turns every
 * failure into a status + sense.
 */
import { BlockIoError } from '../block/device.js';
import { isOutOfSpace } from '../block/errors.js';
import { BufferLease, type BufferHold } from '../util/buffer-pool.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { ThrottledLog } from '../util/throttled-log.js';
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import { StatusError } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import {
  ScsiStatus,
  TaskAttribute,
  type Nexus,
  type PreparedCommand,
  type ScsiRequest,
  type ScsiResult,
  type ScsiTargetPort,
  type TaskAborter,
} from './types.js';
import { Asc, SenseError, SenseKey, encodeSense, invalidCdbField, type AscPair, type SenseInfo } from './sense.js';
import { CommandTable } from './command-table.js';
import { createCommandTable } from './commands.js';
import { inquiryWithoutUnit } from './inquiry.js';
import { reportLuns } from './report-luns.js';
import { requestSenseData } from './request-sense.js';
import { aluaRefusal, hostAccessState, notAccessible } from './alua.js';
import { OUTSIDE_THE_TASK_SET } from './task-set.js';
import { fencedOnFailure } from './replicator-fence.js';
import { ioKindOf } from './io-counters.js';

const log = moduleLogger('scsi');

const SCSI_BUS_RESET_OCCURRED: AscPair = [0x29, 0x02];
const SPACE_ALLOCATION_FAILED_WRITE_PROTECT: AscPair = [0x27, 0x07];

const GOOD: ScsiResult = Object.freeze({ status: ScsiStatus.GOOD });

function goodResult(data: Buffer | BufferLease | void): ScsiResult {
  if (!data) return GOOD;
  if (data instanceof BufferLease) return { status: ScsiStatus.GOOD, dataIn: data.buffer, dataInLease: data };
  return { status: ScsiStatus.GOOD, dataIn: data };
}

/** A command answered without running (a unit attention, the ALUA state, a bad CDB...): counted for the LU's metrics. */
function refused(lu: LogicalUnit, result: ScsiResult): PreparedCommand {
  lu.io.refused++;
  return settled(result);
}

/** The handler's outcome as a promise, a synchronous throw included. */
function runPlan(plan: HandlerPlan, dataOut: Buffer | undefined, hold: BufferHold | undefined): Promise<Buffer | BufferLease | void> {
  try {
    return Promise.resolve(plan.run(dataOut, hold));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** A plan whose outcome is already known (errors found before any data moved). */
function settled(result: ScsiResult): PreparedCommand {
  return { dataOutLength: 0, outcome: result, run: () => Promise.resolve(result) };
}

function checkCondition(info: SenseInfo, descriptorFormat: boolean): ScsiResult {
  return { status: ScsiStatus.CHECK_CONDITION, sense: encodeSense(info, descriptorFormat) };
}

export interface ScsiTargetOptions {
  /** Replace the advanced and vendor command sets (tests); defaults to both. */
  extraCommands?: readonly CommandDescriptor[];
  /** Where commands' failures are logged (default: the scsi module's logger). */
  logger?: Logger;
}

export class ScsiTarget implements ScsiTargetPort {
  private readonly units = new Map<number, LogicalUnit>();
  readonly commands: CommandTable;
  /** Commands' failures, each kind per LU a line at most every 10 s (a failing disk fails every command). */
  private readonly failures: ThrottledLog;
  /** The transport's abort of other nexuses' tasks (PREEMPT AND ABORT), once it bound it. */
  private taskAborter: TaskAborter | undefined;

  constructor(
    readonly name: string,
    units: LogicalUnit[],
    options: ScsiTargetOptions = {},
  ) {
    this.failures = new ThrottledLog(options.logger ?? log);
    for (const u of units) this.units.set(u.lun, u);
    this.commands = createCommandTable({ listLuns: () => [...this.units.keys()], extra: options.extraCommands });
  }

  bindTaskAborter(aborter: TaskAborter): void {
    this.taskAborter = aborter;
    for (const lu of this.units.values()) lu.bindTaskAborter(aborter);
  }

  hasLun(lun: number): boolean {
    return this.units.has(lun);
  }

  /**
   * A LUN added while the target serves (a recovery point exposed): every nexus of the other
   * LUs learns the inventory changed (REPORTED LUNS DATA HAS CHANGED, SPC-4 §6.29).
   */
  addUnit(lu: LogicalUnit): void {
    if (this.units.has(lu.lun)) throw new RangeError(`LUN ${lu.lun} is in use`);
    this.units.set(lu.lun, lu);
    lu.bindTaskAborter(this.taskAborter);
    this.inventoryChanged(lu.lun);
  }

  /** Removes a LUN added at run time; the others' nexuses learn of it as for addUnit. */
  removeUnit(lun: number): LogicalUnit | undefined {
    const lu = this.units.get(lun);
    if (!lu) return undefined;
    this.units.delete(lun);
    this.inventoryChanged(lun);
    return lu;
  }

  /** The lowest LUN number not in use, from `from`. */
  freeLun(from = 0): number {
    let lun = from;
    while (this.units.has(lun)) lun++;
    return lun;
  }

  private inventoryChanged(changed: number): void {
    for (const [lun, unit] of this.units) if (lun !== changed) unit.lunInventoryChanged();
  }

  unit(lun: number): LogicalUnit | undefined {
    return this.units.get(lun);
  }

  /** Every LU served now, in LUN order. */
  allUnits(): LogicalUnit[] {
    return [...this.units.values()].sort((a, b) => a.lun - b.lun);
  }

  prepare(req: ScsiRequest): PreparedCommand {
    const lu = this.units.get(req.lun);
    if (!lu) return this.prepareWithoutUnit(req);
    if (!lu.knowsNexus(req.nexus)) lu.attachNexus(req.nexus);
    const replicator = lu.isReplicator(req.nexus);
    if (replicator && lu.replicatorFence.refuses(req.nexus)) return refused(lu, { status: ScsiStatus.TASK_ABORTED });
    const descriptor = this.commands.lookupCdb(req.cdb, lu);
    if (!descriptor) return refused(lu, checkCondition(this.unsupported(req.cdb), lu.descriptorSense()));
    const prepared = this.prepareCommand(lu, req, descriptor, replicator);
    return replicator && descriptor.replicaStream ? fencedOnFailure(prepared, lu.replicatorFence, req.nexus) : prepared;
  }

  private prepareCommand(lu: LogicalUnit, req: ScsiRequest, descriptor: CommandDescriptor, replicator: boolean): PreparedCommand {
    const dsense = lu.descriptorSense();
    const cdb = req.cdb;
    if (!descriptor.bypassesUnitAttention) {
      const ua = lu.unitAttentions.take(req.nexus);
      if (ua) return refused(lu, checkCondition({ key: SenseKey.UNIT_ATTENTION, asc: ua }, dsense));
    }
    // After the unit attention, as LIO does: a host learns of the state change before being refused by it.
    const inaccessible = aluaRefusal(lu, req.nexus, descriptor);
    if (inaccessible) return refused(lu, checkCondition(inaccessible, dsense));
    // The replicator carries what the primary already admitted; the hosts' reservations are not its.
    if (!replicator && lu.reservations.conflicts(req.nexus, descriptor.conflict)) {
      return refused(lu, { status: ScsiStatus.RESERVATION_CONFLICT });
    }
    const sanitizing = lu.sanitize.refusal(descriptor);
    if (sanitizing) return refused(lu, checkCondition(sanitizing, dsense));
    if (!lu.isMediumPresent() && descriptor.accessesMedium) {
      return refused(lu, checkCondition({ key: SenseKey.NOT_READY, asc: Asc.MEDIUM_NOT_PRESENT }, dsense));
    }
    if (descriptor.writesMedium && lu.writeProtectedFor(req.nexus)) {
      return refused(lu, checkCondition({ key: SenseKey.DATA_PROTECT, asc: Asc.WRITE_PROTECTED }, dsense));
    }
    const control = cdb[descriptor.cdbLength - 1]!;
    if (control & 0x04) return refused(lu, checkCondition(invalidCdbField(descriptor.cdbLength - 1, 2), dsense));
    if (control & 0x01) return refused(lu, checkCondition(invalidCdbField(descriptor.cdbLength - 1, 0), dsense));

    let plan: HandlerPlan;
    try {
      plan = descriptor.prepare(lu, { req, cdb, nexus: req.nexus });
    } catch (e) {
      return refused(lu, this.failure(e, lu, descriptor, req));
    }
    const tracked = lu.sanitize.tracks(descriptor);
    // The replicator's SIMPLE flush (a confirmation) runs at once; its ORDERED one is a barrier in its pipeline.
    const unordered = descriptor.replicatorUnordered && req.taskAttribute === TaskAttribute.SIMPLE && replicator;
    const ticket = unordered ? OUTSIDE_THE_TASK_SET : lu.taskSet.enter(req.taskAttribute);
    let abandoned = false;
    let started = false;
    let wake: ((start: boolean) => void) | undefined;
    // A PREEMPT AND ABORT that removes this nexus's registration before the command runs aborts it.
    const admittedAt = lu.reservations.admissionEpoch();
    const kind = ioKindOf(descriptor);
    const bytes = kind === 'read' ? (plan.dataInLength ?? 0) : kind === 'write' ? plan.dataOutLength : 0;
    // Leaves the task set as the result is known: a step of its own per command would cost on every I/O.
    const execute = (dataOut: Buffer | undefined, hold: BufferHold | undefined): Promise<ScsiResult> => {
      started = true;
      if (lu.reservations.abortedSince(req.nexus, admittedAt)) {
        ticket.done(true);
        return Promise.resolve({ status: ScsiStatus.TASK_ABORTED });
      }
      const startedAt = performance.now();
      // A sanitize may have started while this command waited for its Data-Out.
      const refusal = tracked ? lu.sanitize.refusal(descriptor) : undefined;
      if (refusal) {
        ticket.done(true);
        return Promise.resolve(checkCondition(refusal, lu.descriptorSense()));
      }
      // A flat chain: the handler's own promise, then one step to the result.
      const work = tracked ? lu.sanitize.track(() => runPlan(plan, dataOut, hold)) : runPlan(plan, dataOut, hold);
      return work.then(
        (v) => {
          ticket.done();
          lu.io.record(kind, bytes, performance.now() - startedAt, true);
          return goodResult(v);
        },
        (e: unknown) => {
          ticket.done(true);
          lu.io.record(kind, bytes, performance.now() - startedAt, false);
          return this.failure(e, lu, descriptor, req);
        },
      );
    };
    return {
      dataOutLength: plan.dataOutLength,
      dataInLength: plan.dataInLength ?? 0,
      run: (dataOut, hold) => {
        const ready = ticket.ready;
        if (!ready) return execute(dataOut, hold);
        // An ORDERED task ahead (or this one is ORDERED): start when the task set says so, or not at all if aborted meanwhile.
        return new Promise<boolean>((resolve) => {
          wake = resolve;
          void ready.then(resolve);
        }).then((start): ScsiResult | Promise<ScsiResult> => {
          if (start && !abandoned) return execute(dataOut, hold);
          ticket.done(true);
          return { status: ScsiStatus.TASK_ABORTED };
        });
      },
      abandon: () => {
        abandoned = true;
        // A task still waiting for its turn leaves now; a running one when its handler settles.
        if (!started) wake?.(false);
        plan.abandon?.();
      },
      drop: () => ticket.done(true),
    };
  }

  /**
   * An opcode we lack is INVALID COMMAND OPERATION CODE; a service action we lack of an
   * opcode we have is INVALID FIELD IN CDB pointing at the service action field (SPC-4).
   */
  private unsupported(cdb: Buffer): SenseInfo {
    if (!this.commands.hasServiceActions(cdb[0]!)) {
      return { key: SenseKey.ILLEGAL_REQUEST, asc: Asc.INVALID_COMMAND_OPERATION_CODE, field: { inCdb: true, byte: 0 } };
    }
    // Variable-length CDBs carry it in bytes 8-9, the others in byte 1 bits 4-0.
    return cdb[0] === 0x7f ? invalidCdbField(8) : invalidCdbField(1, 4);
  }

  /** SPC-4 §4.2.8 / SAM-5 §5.9: a LUN with no logical unit. */
  private prepareWithoutUnit(req: ScsiRequest): PreparedCommand {
    const cdb = req.cdb;
    try {
      switch (cdb[0]) {
        case 0x12:
          return settled({ status: ScsiStatus.GOOD, dataIn: inquiryWithoutUnit(cdb) });
        case 0xa0:
          return settled({ status: ScsiStatus.GOOD, dataIn: reportLuns(cdb, [...this.units.keys()]) });
        case 0x03:
          return settled({
            status: ScsiStatus.GOOD,
            dataIn: requestSenseData(cdb, { key: SenseKey.ILLEGAL_REQUEST, asc: Asc.LOGICAL_UNIT_NOT_SUPPORTED }),
          });
        default:
          return settled(checkCondition({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.LOGICAL_UNIT_NOT_SUPPORTED }, false));
      }
    } catch (e) {
      return settled(this.failure(e, undefined, undefined, req));
    }
  }

  private failure(e: unknown, lu: LogicalUnit | undefined, descriptor: CommandDescriptor | undefined, req: ScsiRequest): ScsiResult {
    const dsense = lu?.descriptorSense() ?? false;
    if (e instanceof SenseError) return checkCondition(e, dsense);
    if (e instanceof StatusError) return { status: e.status };
    // Out of space anywhere a write goes (the image, a recovery point's copy-on-write, a staged pass): the initiator can tell it from a failure.
    if (isOutOfSpace(e)) {
      this.failures.warn(`${req.lun}:ENOSPC`, { lun: req.lun, opcode: req.cdb[0], err: (e as Error).message }, 'out of space');
      return checkCondition({ key: SenseKey.DATA_PROTECT, asc: SPACE_ALLOCATION_FAILED_WRITE_PROTECT }, dsense);
    }
    if (e instanceof BlockIoError) {
      const writing = descriptor?.writesMedium ?? false;
      this.failures.warn(`${req.lun}:${e.code}:${writing}`, { lun: req.lun, opcode: req.cdb[0], code: e.code, err: e.message }, 'block I/O error');
      // The backing store did not answer in time (librbd with rados_osd_op_timeout set, an OSD
      // down): the medium is not bad. NOT READY, BECOMING READY is what initiators retry after a pause.
      if (e.code === 'ETIMEDOUT') return checkCondition({ key: SenseKey.NOT_READY, asc: Asc.LOGICAL_UNIT_IS_IN_PROCESS_OF_BECOMING_READY }, dsense);
      // The device stopped taking this write (a replicated LU changed role while it waited). Through
      // a port that is no longer active that is the port's state, which multipath retries elsewhere.
      if (e.code === 'EROFS') {
        const state = lu ? hostAccessState(lu, req.nexus) : undefined;
        return checkCondition((state !== undefined ? notAccessible(state) : undefined) ?? { key: SenseKey.DATA_PROTECT, asc: Asc.WRITE_PROTECTED }, dsense);
      }
      return checkCondition(
        { key: SenseKey.MEDIUM_ERROR, asc: writing ? Asc.WRITE_ERROR : Asc.UNRECOVERED_READ_ERROR },
        dsense,
      );
    }
    this.failures.error(`${req.lun}:internal:${req.cdb[0]}`, { lun: req.lun, cdb: req.cdb.toString('hex'), err: e }, 'internal error running SCSI command');
    return checkCondition({ key: SenseKey.HARDWARE_ERROR, asc: Asc.INTERNAL_TARGET_FAILURE }, dsense);
  }

  abortedTaskAnswer(lun: number): ScsiResult | undefined {
    return this.units.get(lun)?.abortedTaskAnswer();
  }

  lunReset(lun: number, by: Nexus): void {
    log.info({ lun, by: by.id }, 'logical unit reset');
    this.units.get(lun)?.reset(Asc.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
  }

  targetReset(by: Nexus, cold: boolean): void {
    log.info({ by: by.id, cold }, 'target reset');
    for (const lu of this.units.values()) lu.reset(cold ? Asc.POWER_ON_OCCURRED : SCSI_BUS_RESET_OCCURRED);
  }

  taskSetCleared(lun: number, by: Nexus, clearedFor: readonly Nexus[]): void {
    const lu = this.units.get(lun);
    if (!lu) return;
    // The replicator knows of its failure now: its commands from here on are its answer to it.
    lu.replicatorFence.clearFor(by);
    for (const nexus of clearedFor) lu.unitAttentions.establishFor(nexus, Asc.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
  }

  nexusLost(nexus: Nexus): void {
    for (const lu of this.units.values()) lu.detachNexus(nexus);
  }

  nexusSeen(nexus: Nexus): void {
    for (const lu of this.units.values()) if (!lu.knowsNexus(nexus)) lu.attachNexus(nexus);
  }

  /** Flush and close every LU's device (the caller owns no other handle to them). */
  async close(): Promise<void> {
    // A running sanitize stops between writes; its record makes it resume at the next start.
    await Promise.all([...this.units.values()].map((lu) => lu.sanitize.halt()));
    const results = await Promise.allSettled(
      [...this.units.values()].map(async (lu) => {
        try {
          if (!lu.device.readOnly) await lu.device.flush();
        } finally {
          await lu.device.close();
        }
      }),
    );
    for (const r of results) if (r.status === 'rejected') log.error({ err: r.reason }, 'closing a logical unit failed');
  }
}
