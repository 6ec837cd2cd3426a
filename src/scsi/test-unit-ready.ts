/** TEST UNIT READY (SPC-4 §6.47): readiness itself is checked by the dispatcher. */
import { ConflictClass } from './types.js';
import type { CommandDescriptor } from './descriptor.js';

export const testUnitReadyCommand: CommandDescriptor = {
  name: 'TEST UNIT READY',
  opcode: 0x00,
  cdbLength: 6,
  direction: 'none',
  writesMedium: false,
  accessesMedium: true,
  conflict: ConflictClass.Allowed,
  allowedInStandby: 'standby',
  usage: [0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
  prepare: () => ({ dataOutLength: 0, run: () => undefined }),
};
