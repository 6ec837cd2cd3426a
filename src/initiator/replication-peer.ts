/**
 * Initiator-side wrappers for what two Tandem nodes of a pair ask each other
 * (docs/vendor-commands.md §10): the peer's replication state (VPD page C1h), its change
 * map (C6h READ CHANGE MAP), and the resync and switchover actions (C7h REPLICATION CONTROL).
 */
import {
  CHANGE_MAP_HEADER_BYTES,
  REPLICATION_STATE_VPD_PAGE,
  decodeChangeMapData,
  decodeReplicationStateVpd,
  encodeReadChangeMapCdb,
  encodeReplicationControlCdb,
  type ChangeMapSlice,
  type ReplicationActionCode,
  type ReplicationStateReport,
} from '../replica-protocol/index.js';
import { ScsiCheckConditionError } from './errors.js';
import type { ScsiCommands } from './scsi-commands.js';

const ILLEGAL_REQUEST = 0x5;
const INVALID_FIELD_IN_CDB = 0x24;
const INVALID_COMMAND_OPERATION_CODE = 0x20;
const STATE_PAGE_ALLOCATION = 1024;
/** Bitmap bytes per READ CHANGE MAP: 1 MiB of bits covers 512 TiB at 64 KiB chunks. */
const CHANGE_MAP_BYTES_PER_COMMAND = 1024 * 1024;

function unsupported(e: unknown, asc: number): boolean {
  return e instanceof ScsiCheckConditionError && e.sense.key === ILLEGAL_REQUEST && e.sense.asc === asc;
}

/** The peer LU's replication state; undefined when it is not a replicated Tandem LU (no page C1h). */
export async function readReplicationState(session: ScsiCommands, lun: number): Promise<ReplicationStateReport | undefined> {
  try {
    const page = await session.inquiry(lun, { evpd: true, page: REPLICATION_STATE_VPD_PAGE, allocationLength: STATE_PAGE_ALLOCATION });
    return decodeReplicationStateVpd(page);
  } catch (e) {
    if (unsupported(e, INVALID_FIELD_IN_CDB)) return undefined;
    throw e;
  }
}

/**
 * The peer's change map as far as its first `chunks` chunks (all a volume of that many
 * needs), read in slices. What the peer says its map's size is never sizes a read or a
 * buffer: a larger map (a backup grown before its primary, or a bogus claim) is read no
 * further, its bits past `chunks` being of no use to the reader.
 */
export async function readChangeMap(session: ScsiCommands, lun: number, chunks: number): Promise<ChangeMapSlice> {
  const wanted = Math.ceil(chunks / 8);
  const parts: Buffer[] = [];
  let first: ChangeMapSlice | undefined;
  let at = 0;
  for (let end = wanted; first === undefined || at < end; ) {
    const ask = Math.min(CHANGE_MAP_BYTES_PER_COMMAND, wanted - at);
    const r = await session.scsi(lun, encodeReadChangeMapCdb({ startByte: at, allocationLength: CHANGE_MAP_HEADER_BYTES + ask }), {
      dataInLength: CHANGE_MAP_HEADER_BYTES + ask,
      idempotent: true,
    });
    const slice = decodeChangeMapData(r.dataIn ?? Buffer.alloc(0));
    // The map must not change its shape between slices (a resize would mix two maps).
    if (first && (slice.base !== first.base || slice.totalBytes !== first.totalBytes)) throw new Error('the peer\'s change map changed while it was read');
    first ??= slice;
    end = Math.min(first.totalBytes, wanted);
    if (slice.bits.length === 0 && at < end) throw new Error('the peer returned an empty change map slice');
    // A peer sending more than asked for gets no more room for it.
    const bits = slice.bits.subarray(0, end - at);
    parts.push(bits);
    at += bits.length;
  }
  return { ...first, bits: Buffer.concat(parts, at) };
}

/** One REPLICATION CONTROL action; false when the peer does not implement the command. */
export async function replicationControl(session: ScsiCommands, lun: number, action: ReplicationActionCode, parameters: Buffer, timeoutMs?: number): Promise<boolean> {
  try {
    await session.scsi(lun, encodeReplicationControlCdb(action, parameters.length), { dataOut: parameters, idempotent: false, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    return true;
  } catch (e) {
    if (unsupported(e, INVALID_COMMAND_OPERATION_CODE)) return false;
    throw e;
  }
}
