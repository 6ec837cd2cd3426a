/**
 * Primary-side wrappers for the staged-pass vendor commands (docs/vendor-commands.md,
 * "Staged passes"): open a pass on the backup, stage writes and deallocations into it,
 * commit or abort it.
 */
import { PassAction, encodePassControlCdb, encodeStagedWriteCdb, type PassActionCode } from '../replica-protocol/index.js';
import { ScsiCheckConditionError } from './errors.js';
import type { ScsiCommands } from './scsi-commands.js';

const ILLEGAL_REQUEST = 0x5;
const INVALID_COMMAND_OPERATION_CODE = 0x20;
const INVALID_FIELD_IN_CDB = 0x24;

function passControl(session: ScsiCommands, lun: number, action: PassActionCode, passId: bigint, timeoutMs?: number): Promise<unknown> {
  // Not idempotent: a re-issued BEGIN would drop what the pass staged, a re-issued COMMIT finds no pass.
  return session.scsi(lun, encodePassControlCdb({ action, passId }), { idempotent: false, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
}

/** Opens pass `passId`; false when the target does not implement staged passes (not a Tandem backup). */
export async function beginPass(session: ScsiCommands, lun: number, passId: bigint): Promise<boolean> {
  try {
    await passControl(session, lun, PassAction.BEGIN, passId);
    return true;
  } catch (e) {
    if (e instanceof ScsiCheckConditionError && e.sense.key === ILLEGAL_REQUEST && e.sense.asc === INVALID_COMMAND_OPERATION_CODE) return false;
    throw e;
  }
}

/** STAGED WRITE of whole blocks at `lba`. A repeat after a reconnect only stages the same bytes again. */
export async function stagedWrite(session: ScsiCommands, lun: number, lba: bigint | number, blockSize: number, data: Buffer): Promise<void> {
  if (data.length % blockSize !== 0) throw new RangeError(`staged write of ${data.length} bytes is not a multiple of the ${blockSize}-byte block`);
  await session.scsi(lun, encodeStagedWriteCdb({ lba: BigInt(lba), blocks: data.length / blockSize }), { dataOut: data, idempotent: true });
}

/**
 * Stages a deallocation of `blocks` blocks at `lba` (STAGED WRITE with UNMAP). False when
 * the backup refuses the UNMAP bit (INVALID FIELD IN CDB: a backup from before it, or an
 * image that cannot deallocate); the open pass is unchanged then.
 */
export async function stagedDiscard(session: ScsiCommands, lun: number, lba: bigint | number, blocks: number): Promise<boolean> {
  try {
    await session.scsi(lun, encodeStagedWriteCdb({ lba: BigInt(lba), blocks, unmap: true }), { idempotent: true });
    return true;
  } catch (e) {
    if (e instanceof ScsiCheckConditionError && e.sense.key === ILLEGAL_REQUEST && e.sense.asc === INVALID_FIELD_IN_CDB) return false;
    throw e;
  }
}

/** Commits pass `passId`: resolves once the backup's image holds all of it durably. */
export async function commitPass(session: ScsiCommands, lun: number, passId: bigint, timeoutMs?: number): Promise<void> {
  await passControl(session, lun, PassAction.COMMIT, passId, timeoutMs);
}

export async function abortPass(session: ScsiCommands, lun: number, passId: bigint): Promise<void> {
  await passControl(session, lun, PassAction.ABORT, passId);
}
