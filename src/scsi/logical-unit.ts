import type { BlockDevice } from '../block/device.js';
import type { Nexus } from './types.js';
import type { AscPair } from './sense.js';

/**
 * SKELETON written by the integrator to fix the shape other modules code against.
 * The SCSI-core owner fills in the implementation (mode pages, UA queue, extent locks);
 * the reservations owner provides `Reservations`. Keep these member names.
 */

/** Per-nexus unit attention queue for one LU (SAM-5 §5.14, SPC-4 §4.5.4 ordering). */
export interface UnitAttentions {
  /** Queue `asc` for every nexus known to this LU except `except`. */
  establish(asc: AscPair, except?: Nexus): void;
  /** Queue `asc` for one nexus. */
  establishFor(nexus: Nexus, asc: AscPair): void;
  /** Take (and clear) the highest-priority pending condition for `nexus`, if any. */
  take(nexus: Nexus): AscPair | undefined;
  /** Look at the pending condition without clearing it (REQUEST SENSE reports and clears; INQUIRY does neither). */
  peek(nexus: Nexus): AscPair | undefined;
}

/** Serialises overlapping LBA ranges (COMPARE AND WRITE atomicity against other writes). */
export interface ExtentLocks {
  /** Resolves with a release function once no overlapping range is held. */
  acquire(lba: number, blocks: number): Promise<() => void>;
}

/** Reservation state of one LU: SPC-2 RESERVE/RELEASE and SPC-4 persistent reservations. */
export interface Reservations {
  /** True when `nexus` may not run a command of the given conflict class now. */
  conflicts(nexus: Nexus, conflictClass: number): boolean;
  /** LUN reset / target reset: drops RESERVE(6/10) reservations, keeps PRs (SPC-4 §5.13.1). */
  onReset(): void;
  /** The nexus is gone (session ended): drops its RESERVE(6/10) reservation. */
  onNexusLoss(nexus: Nexus): void;
}

export interface LogicalUnitInit {
  lun: number;
  targetName: string;
  device: BlockDevice;
  blockSize: number;
  /** Directory for persistent LU metadata (PR state with APTPL, saved mode pages). */
  metaDir: string;
}
