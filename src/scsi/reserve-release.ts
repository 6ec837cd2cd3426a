import { StatusError, type HandlerPlan } from './descriptor.js';
import { ScsiStatus, type CommandContext } from './types.js';
import { invalidCdbField } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';
import { reservationsOf } from './reservations/index.js';

/** RESERVE(6) 16h, RELEASE(6) 17h, RESERVE(10) 56h, RELEASE(10) 57h (SPC-2 §7.21, §7.17). */
export const Opcode = { RESERVE_6: 0x16, RELEASE_6: 0x17, RESERVE_10: 0x56, RELEASE_10: 0x57 } as const;

/**
 * Whole-LU reservations only: extents (6-byte, bit 0) and third-party / long-ID forms
 * (10-byte, bits 4 and 1) are rejected as invalid fields.
 */
function validate(cdb: Buffer): void {
  const op = cdb[0]!;
  if (op === Opcode.RESERVE_6 || op === Opcode.RELEASE_6) {
    if (cdb[1]! & 0x01) throw invalidCdbField(1, 0);
  } else {
    if (cdb[1]! & 0x10) throw invalidCdbField(1, 4);
    if (cdb[1]! & 0x02) throw invalidCdbField(1, 1);
  }
}

export function prepareReserve(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  validate(ctx.cdb);
  const res = reservationsOf(lu);
  return {
    dataOutLength: 0,
    run: () => {
      // CRH=1: with any persistent registration, RESERVE conflicts (SPC-4 §5.13.3); the pair's own (its volume tag) is not a host's.
      if (res.registrationsSeenBy(ctx.nexus).length > 0 || !res.legacy.reserve(ctx.nexus)) {
        throw new StatusError(ScsiStatus.RESERVATION_CONFLICT);
      }
    },
  };
}

export function prepareRelease(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  validate(ctx.cdb);
  const res = reservationsOf(lu);
  return {
    dataOutLength: 0,
    run: () => {
      // CRH=1: with persistent registrations, only a registered nexus gets the GOOD no-op.
      if (res.registrationsSeenBy(ctx.nexus).length > 0 && !res.persistent.registrationOf(ctx.nexus)) {
        throw new StatusError(ScsiStatus.RESERVATION_CONFLICT);
      }
      // A release by a non-holder, or with nothing reserved, is GOOD and changes nothing.
      res.legacy.release(ctx.nexus);
    },
  };
}
