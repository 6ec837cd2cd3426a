/**
 * REQUEST SENSE (SPC-4 §6.39): reports (and clears) a pending unit attention, else the LU's
 * state (sanitize, medium, the ALUA state of this port) or NO SENSE.
 */
import { ConflictClass } from './types.js';
import { hostAccessState, notAccessible } from './alua.js';
import type { CommandDescriptor } from './descriptor.js';
import { Asc, SenseKey, encodeSense, type SenseInfo } from './sense.js';
import { clip } from './cdb.js';

/** Sense data REQUEST SENSE returns, in the format its DESC bit asks for. */
export function requestSenseData(cdb: Buffer, info: SenseInfo): Buffer {
  const descriptor = (cdb[1]! & 0x01) !== 0;
  return clip(encodeSense(info, descriptor), cdb[4]!);
}

export const requestSenseCommand: CommandDescriptor = {
  name: 'REQUEST SENSE',
  opcode: 0x03,
  cdbLength: 6,
  direction: 'in',
  writesMedium: false,
  accessesMedium: false,
  conflict: ConflictClass.Allowed,
  bypassesUnitAttention: true,
  allowedInStandby: 'inactive',
  allowedDuringSanitize: true,
  usage: [0x03, 0x01, 0x00, 0x00, 0xff, 0x00],
  prepare(lu, ctx) {
    return {
      dataOutLength: 0,
      run() {
        const ua = lu.unitAttentions.take(ctx.nexus);
        // A sanitize in progress reports its progress; a failed one, the failure (SBC-3 §4.11).
        const sanitize = lu.sanitize.pendingSense();
        const state = hostAccessState(lu, ctx.nexus);
        const info: SenseInfo = ua
          ? { key: SenseKey.UNIT_ATTENTION, asc: ua }
          : sanitize
            ? sanitize
            : !lu.isMediumPresent()
              ? { key: SenseKey.NOT_READY, asc: Asc.MEDIUM_NOT_PRESENT }
              : ((state !== undefined ? notAccessible(state) : undefined) ?? { key: SenseKey.NO_SENSE, asc: Asc.NO_ADDITIONAL_SENSE });
        return requestSenseData(ctx.cdb, info);
      },
    };
  },
};
