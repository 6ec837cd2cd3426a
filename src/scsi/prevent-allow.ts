/** PREVENT ALLOW MEDIUM REMOVAL (SBC-3 §5.8): per-nexus prevent state, any holder blocks LOEJ. */
import { ConflictClass } from './types.js';
import type { CommandDescriptor } from './descriptor.js';
import { invalidCdbField } from './sense.js';

export const preventAllowCommand: CommandDescriptor = {
  name: 'PREVENT ALLOW MEDIUM REMOVAL',
  opcode: 0x1e,
  cdbLength: 6,
  direction: 'none',
  writesMedium: false,
  accessesMedium: false,
  conflict: ConflictClass.Exclusive,
  usage: [0x1e, 0x00, 0x00, 0x00, 0x03, 0x00],
  prepare(lu, ctx) {
    const prevent = ctx.cdb[4]! & 0x03;
    // 10b/11b are the obsolete medium-changer values.
    if (prevent > 1) throw invalidCdbField(4, 1);
    return { dataOutLength: 0, run: () => lu.setPrevent(ctx.nexus, prevent === 1) };
  },
};
