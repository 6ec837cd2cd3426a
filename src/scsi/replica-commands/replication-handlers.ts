/**
 * Target side of what two Tandem nodes of a pair ask each other (docs/vendor-commands.md
 * §10): C6h READ CHANGE MAP and C7h REPLICATION CONTROL, answered by the LU's replication
 * endpoint. LUs that are not replicated answer INVALID COMMAND OPERATION CODE. REPLICATION
 * CONTROL's resync and switchover actions change the medium's replication state, so the
 * write guard applies: on a backup, only the replicator runs them; a primary refuses them.
 * PR STATE goes either way between the nodes: only the replicator sends it, on either role.
 */
import {
  AdoptFormatError,
  CHANGE_MAP_HEADER_BYTES,
  GENERATION_PARAMETER_BYTES,
  MAX_POINT_PARAMETER_BYTES,
  MAX_PR_STATE_BYTES,
  POINT_FIXED_BYTES,
  PointFormatError,
  decodePointParameters,
  MAX_REPLICATION_CONTROL_PARAMETERS,
  PR_STATE_HEADER_BYTES,
  PrStateFormatError,
  REPLICATION_ACTIONS,
  ReplicationAction,
  ReplicationSequenceError,
  decodeAdoptParameters,
  decodeSharedPrState,
  encodeChangeMapData,
  type ReplicationActionCode,
  type ReplicationEndpoint,
} from '../../replica-protocol/index.js';
import type { HandlerPlan } from '../descriptor.js';
import { MAX_TRANSFER_BYTES } from '../limits.js';
import type { LogicalUnit } from '../logical-unit.js';
import type { CommandContext } from '../types.js';
import { Asc, SenseError, SenseKey, invalidCdbField, invalidParamField } from '../sense.js';
import { adoptSharedLuState } from '../shared-lu-state.js';

/** Byte offsets in the C6h and C7h CDBs. */
export const ReplicationCdbField = { ACTION: 1, START_BYTE: 2, ALLOCATION_LENGTH: 10, PARAMETER_LIST_LENGTH: 10, RESERVED: 14 } as const;

function endpointOf(lu: LogicalUnit): ReplicationEndpoint {
  if (!lu.replication) throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.INVALID_COMMAND_OPERATION_CODE, field: { inCdb: true, byte: 0 } });
  return lu.replication;
}

export function prepareReadChangeMap(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const endpoint = endpointOf(lu);
  const cdb = ctx.cdb;
  if (cdb[1] !== 0) throw invalidCdbField(1);
  if (cdb[ReplicationCdbField.RESERVED] !== 0) throw invalidCdbField(ReplicationCdbField.RESERVED);
  const start = cdb.readBigUInt64BE(ReplicationCdbField.START_BYTE);
  if (start > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidCdbField(ReplicationCdbField.START_BYTE);
  const allocation = Math.min(cdb.readUInt32BE(ReplicationCdbField.ALLOCATION_LENGTH), MAX_TRANSFER_BYTES);
  return {
    dataOutLength: 0,
    dataInLength: allocation,
    run() {
      if (allocation === 0) return undefined;
      const slice = endpoint.changeMap(Number(start), Math.max(0, allocation - CHANGE_MAP_HEADER_BYTES));
      return encodeChangeMapData(slice, allocation);
    },
  };
}

export function prepareReplicationControl(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const endpoint = endpointOf(lu);
  const cdb = ctx.cdb;
  if (cdb[1]! & 0xe0) throw invalidCdbField(ReplicationCdbField.ACTION, 7);
  const action = cdb[1]! & 0x1f;
  if (!REPLICATION_ACTIONS.includes(action)) throw invalidCdbField(ReplicationCdbField.ACTION, 4);
  // The write guard of the LU (the descriptor does not apply it, since PR STATE reaches a primary too);
  // the other actions are the replicator's on a backup only (a primary lets every host write).
  const allowed = lu.isReplicator(ctx.nexus) && (action === ReplicationAction.PR_STATE || !lu.writeProtectedFor(ctx.nexus));
  if (!allowed) throw new SenseError({ key: SenseKey.DATA_PROTECT, asc: Asc.WRITE_PROTECTED });
  for (let i = 2; i < ReplicationCdbField.PARAMETER_LIST_LENGTH; i++) if (cdb[i] !== 0) throw invalidCdbField(i);
  if (cdb[ReplicationCdbField.RESERVED] !== 0) throw invalidCdbField(ReplicationCdbField.RESERVED);
  const length = cdb.readUInt32BE(ReplicationCdbField.PARAMETER_LIST_LENGTH);
  if (!parameterLengthFits(action, length)) throw invalidCdbField(ReplicationCdbField.PARAMETER_LIST_LENGTH);
  return {
    dataOutLength: length,
    async run(dataOut) {
      if (!dataOut || dataOut.length < length) throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
      try {
        const changed = action === ReplicationAction.PR_STATE ? await adoptPrState(lu, endpoint, dataOut) : await act(endpoint, action as Exclude<ReplicationActionCode, typeof ReplicationAction.PR_STATE>, dataOut);
        // Every other nexus learns that INQUIRY data changed; the replicator caused it.
        if (changed) lu.identityChanged(ctx.nexus);
      } catch (e) {
        if (e instanceof ReplicationSequenceError) throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.COMMAND_SEQUENCE_ERROR });
        if (e instanceof AdoptFormatError || e instanceof PrStateFormatError || e instanceof PointFormatError) throw e.byte < 0 ? new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR }) : invalidParamField(e.byte);
        throw e;
      }
    },
  };
}

function parameterLengthFits(action: number, length: number): boolean {
  switch (action) {
    case ReplicationAction.ADOPT:
      return length > 0 && length <= MAX_REPLICATION_CONTROL_PARAMETERS;
    case ReplicationAction.PR_STATE:
      return length >= PR_STATE_HEADER_BYTES && length <= MAX_PR_STATE_BYTES;
    case ReplicationAction.POINT:
      return length >= POINT_FIXED_BYTES && length <= MAX_POINT_PARAMETER_BYTES;
    default:
      return length === GENERATION_PARAMETER_BYTES;
  }
}

/** The peer's persistent reservations and mode parameters replace this node's when newer; the identity is untouched. */
async function adoptPrState(lu: LogicalUnit, endpoint: ReplicationEndpoint, parameters: Buffer): Promise<false> {
  const state = decodeSharedPrState(parameters);
  if (endpoint.offerPrState(state)) await adoptSharedLuState(lu, state);
  return false;
}

/** Runs a resync or switchover action; resolves true when the identity hosts see changed. */
async function act(endpoint: ReplicationEndpoint, action: Exclude<ReplicationActionCode, typeof ReplicationAction.PR_STATE>, parameters: Buffer): Promise<boolean> {
  switch (action) {
    case ReplicationAction.BEGIN_RESYNC:
      await endpoint.beginResync(parameters.readBigUInt64BE(0));
      return false;
    case ReplicationAction.ADOPT:
      return (await endpoint.adopt(decodeAdoptParameters(parameters))).identityChanged;
    case ReplicationAction.PROMOTE:
      await endpoint.promoteBySwitchover(parameters.readBigUInt64BE(0));
      return false;
    case ReplicationAction.POINT:
      await endpoint.takePoint(decodePointParameters(parameters));
      return false;
  }
}
