import { ConflictClass } from '../types.js';
import { PrType } from './pr-types.js';

/**
 * Which commands a nexus that does NOT hold the persistent reservation may run
 * (SPC-4 §5.13.1 Table 62, SBC-3 Table 45), as [reads, writes] allowed for an
 * unregistered nexus and for a registered one.
 */
interface Access {
  unregistered: { read: boolean; write: boolean };
  registered: { read: boolean; write: boolean };
}

const ACCESS: Readonly<Record<number, Access>> = {
  [PrType.WRITE_EXCLUSIVE]: { unregistered: { read: true, write: false }, registered: { read: true, write: false } },
  [PrType.EXCLUSIVE_ACCESS]: { unregistered: { read: false, write: false }, registered: { read: false, write: false } },
  [PrType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY]: {
    unregistered: { read: true, write: false },
    registered: { read: true, write: true },
  },
  [PrType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY]: {
    unregistered: { read: false, write: false },
    registered: { read: true, write: true },
  },
  [PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS]: {
    unregistered: { read: true, write: false },
    registered: { read: true, write: true },
  },
  [PrType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS]: {
    unregistered: { read: false, write: false },
    registered: { read: true, write: true },
  },
};

/**
 * Whether a command of `conflictClass` conflicts with a persistent reservation of `type`
 * for a nexus that is not its holder. Exclusive-class commands (MODE SELECT, ...) follow
 * the write column, as in Table 62. PR IN/OUT decide for themselves; RESERVE/RELEASE
 * are judged by the caller (they conflict with any registration).
 */
export function persistentReservationConflicts(type: number, registered: boolean, conflictClass: number): boolean {
  const access = ACCESS[type];
  if (!access) return false;
  const row = registered ? access.registered : access.unregistered;
  switch (conflictClass) {
    case ConflictClass.Read:
      return !row.read;
    case ConflictClass.Write:
    case ConflictClass.Exclusive:
      return !row.write;
    default:
      return false;
  }
}
