/**
 * SANITIZE (48h, SBC-3 §5.30): one descriptor per service action Tandem carries out, so
 * REPORT SUPPORTED OPERATION CODES lists exactly those. CRYPTO ERASE is offered on an
 * encrypted LU only (elsewhere there is no media key to change, and like any unlisted
 * service action it gets INVALID FIELD IN CDB).
 */
import type { CommandDescriptor, HandlerPlan } from '../descriptor.js';
import type { LogicalUnit } from '../logical-unit.js';
import { ConflictClass, type CommandContext } from '../types.js';
import { parseSanitizeCdb } from './cdb.js';
import { SANITIZE_OPCODE, SanitizeAction } from './constants.js';
import type { SanitizeMethod } from './methods.js';
import { parseOverwriteParameters } from './overwrite-parameters.js';

/** IMMED and AUSE may be set, bytes 7-8 carry the parameter list length. */
function usage(serviceAction: number): number[] {
  return [SANITIZE_OPCODE, 0xa0 | serviceAction, 0, 0, 0, 0, 0, 0xff, 0xff, 0];
}

/**
 * Starts the operation once the CDB (and parameter list) are valid. IMMED=1 answers then;
 * IMMED=0 answers when it completes, unless the task is aborted first: the operation goes
 * on regardless (SBC-3 §4.11: task management and resets do not end a sanitize).
 */
function startPlan(lu: LogicalUnit, ctx: CommandContext, method: (dataOut: Buffer | undefined) => SanitizeMethod): HandlerPlan {
  const cdb = parseSanitizeCdb(ctx.cdb, lu.blockSize);
  lu.sanitize.checkStart(cdb.ause);
  let abandon: (() => void) | undefined;
  return {
    dataOutLength: cdb.parameterListLength,
    run: async (dataOut) => {
      const m = method(dataOut);
      lu.sanitize.checkStart(cdb.ause);
      const done = lu.sanitize.start(m, cdb.ause);
      if (cdb.immed) return;
      await Promise.race([done, new Promise<void>((resolve) => (abandon = resolve))]);
    },
    abandon: () => abandon?.(),
  };
}

const common = {
  name: 'SANITIZE',
  opcode: SANITIZE_OPCODE,
  cdbLength: 10,
  accessesMedium: true,
  conflict: ConflictClass.Write,
} as const;

export const sanitizeCommands: CommandDescriptor[] = [
  {
    ...common,
    name: 'SANITIZE(OVERWRITE)',
    serviceAction: SanitizeAction.OVERWRITE,
    direction: 'out',
    writesMedium: true,
    usage: usage(SanitizeAction.OVERWRITE),
    prepare: (lu, ctx) =>
      startPlan(lu, ctx, (dataOut) => ({ kind: 'overwrite', ...parseOverwriteParameters(dataOut ?? Buffer.alloc(0), lu.blockSize) })),
  },
  {
    ...common,
    name: 'SANITIZE(BLOCK ERASE)',
    serviceAction: SanitizeAction.BLOCK_ERASE,
    direction: 'none',
    writesMedium: true,
    usage: usage(SanitizeAction.BLOCK_ERASE),
    // Erasing by deallocation needs a store that really deallocates (and reads zeroes after).
    availableOn: (lu) => lu.device.canDiscard,
    prepare: (lu, ctx) => startPlan(lu, ctx, () => ({ kind: 'block-erase' })),
  },
  {
    ...common,
    name: 'SANITIZE(CRYPTO ERASE)',
    serviceAction: SanitizeAction.CRYPTO_ERASE,
    direction: 'none',
    writesMedium: true,
    usage: usage(SanitizeAction.CRYPTO_ERASE),
    availableOn: (lu) => lu.mediaKey !== undefined,
    prepare: (lu, ctx) => startPlan(lu, ctx, () => ({ kind: 'crypto-erase' })),
  },
  {
    ...common,
    name: 'SANITIZE(EXIT FAILURE MODE)',
    serviceAction: SanitizeAction.EXIT_FAILURE_MODE,
    direction: 'none',
    writesMedium: false,
    usage: usage(SanitizeAction.EXIT_FAILURE_MODE),
    prepare(lu, ctx) {
      parseSanitizeCdb(ctx.cdb, lu.blockSize);
      return { dataOutLength: 0, run: () => lu.sanitize.exitFailureMode() };
    },
  },
];
