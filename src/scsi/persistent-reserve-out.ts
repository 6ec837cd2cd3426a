import type { HandlerPlan } from './descriptor.js';
import type { CommandContext, Nexus, ScsiResult } from './types.js';
import { Asc, SenseError, SenseKey, invalidCdbField, invalidParamField } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';
import { decodeIscsiTransportId, isValidPrType, reservationsOf, type InitiatorPort, type LuReservations } from './reservations/index.js';
import { hostPortOf, publishLuState, type SharedStateLu } from './shared-lu-state.js';
import { LU_SCOPE } from './reservations/pr-types.js';

/** PERSISTENT RESERVE OUT service actions (SPC-4 §6.16.2). */
export const PrOutAction = {
  REGISTER: 0,
  RESERVE: 1,
  RELEASE: 2,
  CLEAR: 3,
  PREEMPT: 4,
  PREEMPT_AND_ABORT: 5,
  REGISTER_AND_IGNORE_EXISTING_KEY: 6,
  REGISTER_AND_MOVE: 7,
} as const;

/** The basic parameter list is exactly 24 bytes (SPC-4 §6.16.3). */
const BASIC_LENGTH = 24;
/** Bound on SPEC_I_PT / REGISTER AND MOVE lists: ours, not the peer's, limits memory. */
export const MAX_PR_OUT_PARAMETER_LENGTH = 64 * 1024;

function parameterListLengthError(): SenseError {
  return new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
}

/** SPEC_I_PT TransportIDs: a 4-byte length at byte 24, then the IDs, filling the list exactly. */
function parseSpecifiedPorts(data: Buffer): InitiatorPort[] {
  if (data.length < BASIC_LENGTH + 4) throw parameterListLengthError();
  const length = data.readUInt32BE(BASIC_LENGTH);
  if (BASIC_LENGTH + 4 + length !== data.length) throw parameterListLengthError();
  const ports: InitiatorPort[] = [];
  let off = BASIC_LENGTH + 4;
  while (off < data.length) {
    const { port, length: used } = decodeIscsiTransportId(data, off, off);
    ports.push(port);
    off += used;
  }
  return ports;
}

/** What runAction needs of the LU besides its reservations. */
interface PrOutContext {
  portOf: (n: Nexus) => number;
  /** Commands aborted by a PREEMPT AND ABORT end without status (the Control page's TAS clear). */
  abortsSilently: boolean;
}

function runAction(res: LuReservations, ctx: CommandContext, action: number, scope: number, type: number, data: Buffer, { portOf, abortsSilently }: PrOutContext): void {
  const pr = res.persistent;
  const nexus = ctx.nexus;
  const key = data.readBigUInt64BE(0);
  const sark = data.readBigUInt64BE(8);
  switch (action) {
    case PrOutAction.REGISTER:
    case PrOutAction.REGISTER_AND_IGNORE_EXISTING_KEY: {
      const flags = data[20]!;
      const specIPt = (flags & 0x08) !== 0;
      const allTargetPorts = (flags & 0x04) !== 0;
      if (specIPt && action === PrOutAction.REGISTER_AND_IGNORE_EXISTING_KEY) throw invalidParamField(20, 3);
      // SPEC_I_PT with ALL_TG_PT (other initiators through every port) is not taken: one or the other.
      if (specIPt && allTargetPorts) throw invalidParamField(20, 2);
      if (!specIPt && data.length !== BASIC_LENGTH) throw parameterListLengthError();
      const specifiedPorts = specIPt ? parseSpecifiedPorts(data) : undefined;
      pr.register(nexus, { key, sark, aptpl: (flags & 0x01) !== 0, specifiedPorts, allTargetPorts }, action === PrOutAction.REGISTER_AND_IGNORE_EXISTING_KEY);
      return;
    }
    case PrOutAction.REGISTER_AND_MOVE: {
      if (data.length < BASIC_LENGTH) throw parameterListLengthError();
      const tidLength = data.readUInt32BE(20);
      if (BASIC_LENGTH + tidLength !== data.length) throw parameterListLengthError();
      const { port, length } = decodeIscsiTransportId(data, BASIC_LENGTH, BASIC_LENGTH);
      if (length !== tidLength) throw invalidParamField(20);
      // Hosts name the port by the number they see (a replicated LU's own), the reservations by the transport's.
      const requestedPort = data.readUInt16BE(18);
      pr.registerAndMove(nexus, {
        key,
        sark,
        aptpl: (data[17]! & 0x01) !== 0,
        unregister: (data[17]! & 0x02) !== 0,
        relativePortId: requestedPort === portOf(nexus) ? nexus.relativePortId : requestedPort,
        destination: port,
      });
      return;
    }
  }
  if (data.length !== BASIC_LENGTH) throw parameterListLengthError();
  if (data[20]! & 0x08) throw invalidParamField(20, 3); // SPEC_I_PT only with REGISTER
  switch (action) {
    case PrOutAction.RESERVE:
    case PrOutAction.RELEASE:
      if (scope !== LU_SCOPE) throw invalidCdbField(2, 7);
      if (!isValidPrType(type)) throw invalidCdbField(2, 3);
      if (action === PrOutAction.RESERVE) pr.reserve(nexus, key, type);
      else pr.release(nexus, key, type);
      return;
    case PrOutAction.CLEAR:
      pr.clear(nexus, key);
      return;
    case PrOutAction.PREEMPT:
    case PrOutAction.PREEMPT_AND_ABORT:
      if (scope !== LU_SCOPE) throw invalidCdbField(2, 7);
      // PREEMPT AND ABORT: the preempted nexuses' tasks are aborted before it completes (preparePersistentReserveOut).
      pr.preempt(nexus, key, sark, type, action === PrOutAction.PREEMPT_AND_ABORT ? { silently: abortsSilently } : undefined);
      return;
  }
}

/** AdvancedLu, on a replicated LU what hands the state to the peer node, and the abort of other nexuses' tasks. */
type PrOutLu = AdvancedLu &
  SharedStateLu & { abortTasksOf?(which: (nexus: Nexus) => boolean): Promise<void>; abortedTaskAnswer?(): ScsiResult | undefined };

export function preparePersistentReserveOut(lu: PrOutLu, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  const action = cdb[1]! & 0x1f;
  if (action > PrOutAction.REGISTER_AND_MOVE) throw invalidCdbField(1, 4);
  const scope = cdb[2]! >> 4;
  const type = cdb[2]! & 0x0f;
  const length = cdb.readUInt32BE(5);
  // Only REGISTER (SPEC_I_PT) and REGISTER AND MOVE may carry more than the basic 24 bytes.
  const mayBeLonger = action === PrOutAction.REGISTER || action === PrOutAction.REGISTER_AND_MOVE;
  if (length < BASIC_LENGTH || (!mayBeLonger && length !== BASIC_LENGTH) || length > MAX_PR_OUT_PARAMETER_LENGTH) {
    throw parameterListLengthError();
  }
  const res = reservationsOf(lu);
  const portOf = hostPortOf(lu);
  return {
    dataOutLength: length,
    run: async (dataOut) => {
      if (!dataOut || dataOut.length < length) throw parameterListLengthError();
      const data = dataOut.length === length ? dataOut : dataOut.subarray(0, length);
      const before = res.persistent.generation;
      const aptplBefore = res.persistent.aptpl;
      const holderBefore = res.persistent.reservation;
      const epochBefore = res.persistent.admissionEpoch();
      runAction(res, ctx, action, scope, type, data, { portOf, abortsSilently: lu.abortedTaskAnswer?.() === undefined });
      const epoch = res.persistent.admissionEpoch();
      if (epoch !== epochBefore) {
        // PREEMPT AND ABORT removed registrations (SPC-4 §5.13.11.2.4): their nexuses' tasks are
        // aborted as ABORT TASK SET aborts them, TAS deciding whether each answers TASK ABORTED,
        // and this command completes only once none of them still runs (nothing of theirs lands
        // after our GOOD). Ones admitted but not yet running when no transport aborts them are
        // refused as they come to run (abortedSince, scsi-target.ts).
        const preempted = res.persistent.abortedBy(epoch);
        const own = ctx.nexus.id;
        await lu.abortTasksOf?.((n) => n.id !== own && preempted(n));
      }
      const changed =
        res.persistent.generation !== before || res.persistent.aptpl !== aptplBefore || res.persistent.reservation !== holderBefore;
      if (changed && (res.persistent.aptpl || aptplBefore)) {
        try {
          await res.persist();
        } catch {
          // The change stands in memory; the initiator learns it may not survive power loss.
          throw new SenseError({ key: SenseKey.HARDWARE_ERROR, asc: Asc.INTERNAL_TARGET_FAILURE });
        }
      }
      // The other node of the pair serves the same LU: it gets the change before the host its answer (when it answers).
      // The replicator's own registration (its volume tag) is this node's alone.
      if (changed && !res.byPair(ctx.nexus)) await publishLuState(lu);
    },
  };
}
