/**
 * START STOP UNIT (SBC-3 §5.25). A virtual disk has nothing to spin: START/STOP without
 * LOEJ succeed and leave the unit ready (libiscsi StartStopUnit.NoLoej expects exactly
 * that), a STOP flushes unless NO_FLUSH; LOEJ ejects/loads the removable medium unless
 * removal is prevented. A nonzero POWER CONDITION overrides START and LOEJ.
 */
import { ConflictClass } from './types.js';
import type { CommandDescriptor } from './descriptor.js';
import { invalidCdbField } from './sense.js';

export const startStopUnitCommand: CommandDescriptor = {
  name: 'START STOP UNIT',
  opcode: 0x1b,
  cdbLength: 6,
  direction: 'none',
  writesMedium: false,
  accessesMedium: false,
  conflict: ConflictClass.Exclusive,
  usage: [0x1b, 0x01, 0x00, 0x0f, 0xf7, 0x00],
  prepare(lu, ctx) {
    const b4 = ctx.cdb[4]!;
    const powerCondition = b4 >> 4;
    const noFlush = (b4 & 0x04) !== 0;
    const loej = (b4 & 0x02) !== 0;
    const start = (b4 & 0x01) !== 0;
    if (powerCondition === 0 && loej && !lu.removable) throw invalidCdbField(4, 1);
    return {
      dataOutLength: 0,
      async run() {
        if (powerCondition !== 0) return;
        if (!start && !noFlush && lu.isMediumPresent()) await lu.device.flush();
        if (loej) lu.loadOrEject(start);
      },
    };
  },
};
