/**
 * Target side of PASS CONTROL (C4h) and STAGED WRITE (C5h, a write or with UNMAP a
 * deallocation): validate, then hand the pass
 * to the LU's PassStaging. Both change the medium, so a backup's write guard applies: only
 * the replicator may run them.
 */
import { PassCapacityError, PassSequenceError, type PassStaging } from '../../block/pass-staging.js';
import { MAX_UNMAP_LBA_COUNT, PassAction, PassCdbField } from '../../replica-protocol/index.js';
import type { HandlerPlan } from '../descriptor.js';
import type { LogicalUnit } from '../logical-unit.js';
import type { CommandContext } from '../types.js';
import { Asc, SenseError, SenseKey, invalidCdbField } from '../sense.js';
import { checkTransfer } from '../cdb.js';
import { wholeBlocks } from '../write.js';
import { INSUFFICIENT_RESOURCES } from './challenge-lists.js';
import { decodePassControlCdb, decodeStagedWriteCdb } from './staged-pass-cdb-decoders.js';

function stagingOf(lu: LogicalUnit): PassStaging {
  // Only LUs that can stage (a replication backup) implement the commands at all.
  if (!lu.passStaging) throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.INVALID_COMMAND_OPERATION_CODE, field: { inCdb: true, byte: 0 } });
  return lu.passStaging;
}

/** Throws unless no PASS CONTROL ran since the command arrived in `era`; called right before staging, with no await in between. */
function checkEra(staging: PassStaging, era: number): void {
  if (staging.era !== era) throw new PassSequenceError('the staged write arrived before the last PASS CONTROL: another pass is open now');
}

/** The staging's own refusals, as the sense data the primary acts on. */
async function asSense<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof PassSequenceError) throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.COMMAND_SEQUENCE_ERROR });
    if (e instanceof PassCapacityError) throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: INSUFFICIENT_RESOURCES });
    throw e;
  }
}

export function preparePassControl(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const staging = stagingOf(lu);
  const c = decodePassControlCdb(ctx.cdb);
  lu.requireMedium();
  return {
    dataOutLength: 0,
    async run() {
      await asSense(() => {
        if (c.action === PassAction.BEGIN) return staging.begin(c.passId);
        if (c.action === PassAction.COMMIT) return staging.commit(c.passId);
        return staging.abort(c.passId);
      });
    },
  };
}

export function prepareStagedWrite(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const staging = stagingOf(lu);
  const c = decodeStagedWriteCdb(ctx.cdb);
  lu.requireMedium();
  if (c.unmap) return stagedDiscard(lu, staging, c.lba, c.blocks);
  const lba = checkTransfer(lu, { lba: c.lba, blocks: c.blocks, lbaByte: PassCdbField.LBA, lengthByte: PassCdbField.TRANSFER_LENGTH });
  const bytes = c.blocks * lu.blockSize;
  // Staged only into the pass open now, as the command arrives (PassStaging.era).
  const era = staging.era;
  return {
    dataOutLength: bytes,
    async run(dataOut) {
      const data = wholeBlocks(lu, dataOut, bytes);
      if (!data) return;
      await asSense(() => {
        checkEra(staging, era);
        return staging.write(data, lba * lu.blockSize);
      });
    },
  };
}

/**
 * STAGED WRITE with UNMAP: the blocks are deallocated when the pass commits. Only an LU that
 * really deallocates takes it (the primary then stages zeroes instead); the count is bounded
 * as UNMAP's is (VPD B0h MAXIMUM UNMAP LBA COUNT), not by the transfer limit: nothing moves.
 */
function stagedDiscard(lu: LogicalUnit, staging: PassStaging, lbaField: bigint, blocks: number): HandlerPlan {
  if (!lu.device.canDiscard) throw invalidCdbField(1, 3);
  const lba = lu.checkRange(lbaField, blocks, PassCdbField.LBA);
  if (blocks > MAX_UNMAP_LBA_COUNT) throw invalidCdbField(PassCdbField.TRANSFER_LENGTH);
  const era = staging.era;
  return {
    dataOutLength: 0,
    async run() {
      if (blocks === 0) return;
      await asSense(() => {
        checkEra(staging, era);
        return staging.discard(lba * lu.blockSize, blocks * lu.blockSize);
      });
    },
  };
}
