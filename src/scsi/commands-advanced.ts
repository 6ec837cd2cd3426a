import type { BlockDevice } from '../block/device.js';
import type { Nexus } from './types.js';
import type { CommandDescriptor } from './descriptor.js';
import type { ExtentLocks, Reservations } from './logical-unit.js';
import { ConflictClass } from './types.js';
import { preparePersistentReserveIn } from './persistent-reserve-in.js';
import { preparePersistentReserveOut } from './persistent-reserve-out.js';
import { prepareRelease, prepareReserve } from './reserve-release.js';
import { prepareCompareAndWrite } from './compare-and-write.js';
import { prepareWriteSame } from './write-same.js';
import { prepareUnmap } from './unmap.js';
import { prepareGetLbaStatus } from './get-lba-status.js';
import { prepareExtendedCopy } from './extended-copy.js';
import { prepareReceiveCopyResults } from './receive-copy-results.js';
import { prepareOrWrite } from './orwrite.js';
import type { MediumWriter } from './medium-writer.js';
import { writeScatteredCommands } from './write-scattered.js';
import { prepareWriteAtomic, type AtomicLu } from './write-atomic.js';

/** The LogicalUnit members the advanced commands use; LogicalUnit satisfies it structurally. */
export interface AdvancedLu {
  readonly lun: number;
  readonly device: BlockDevice;
  readonly blockSize: number;
  readonly blockCount: number;
  readonly extentLocks: ExtentLocks;
  readonly reservations: Reservations;
  /** Throws LBA OUT OF RANGE unless [lba, lba+blocks) lies on the medium; returns lba as a number. */
  checkRange(lba: bigint, blocks: number, lbaField: number): number;
  /** The device for commands from `nexus`, each write admitted again as it starts (see medium-writer.ts). */
  writerFor(nexus: Nexus): MediumWriter;
  /** Caching mode page WCE: when off, every write is written through (as with FUA). */
  writeCacheEnabled(): boolean;
  /** The RELATIVE TARGET PORT IDENTIFIER hosts see for a port of this node (a replicated LU numbers its own). */
  relativePortOf?(nexus: Nexus): number;
}

export type { AtomicLu };

const ff4 = [0xff, 0xff, 0xff, 0xff] as const;
const ff8 = [...ff4, ...ff4] as const;

/**
 * Reservations, COMPARE AND WRITE, WRITE SAME, UNMAP, GET LBA STATUS, EXTENDED COPY (LID1)
 * RECEIVE COPY RESULTS, ORWRITE, WRITE ATOMIC(16) and WRITE SCATTERED(16). Not here (so REPORT SUPPORTED
 * OPERATION CODES does not claim it): WRITE SAME(32).
 */
export const advancedCommands: CommandDescriptor[] = [
  {
    name: 'RESERVE(6)', opcode: 0x16, cdbLength: 6, direction: 'none', writesMedium: false, accessesMedium: false,
    conflict: ConflictClass.LegacyReserve, usage: [0x16, 0, 0, 0, 0, 0],
    prepare: prepareReserve,
  },
  {
    name: 'RELEASE(6)', opcode: 0x17, cdbLength: 6, direction: 'none', writesMedium: false, accessesMedium: false,
    conflict: ConflictClass.LegacyReserve, usage: [0x17, 0, 0, 0, 0, 0],
    prepare: prepareRelease,
  },
  {
    name: 'RESERVE(10)', opcode: 0x56, cdbLength: 10, direction: 'none', writesMedium: false, accessesMedium: false,
    conflict: ConflictClass.LegacyReserve, usage: [0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    prepare: prepareReserve,
  },
  {
    name: 'RELEASE(10)', opcode: 0x57, cdbLength: 10, direction: 'none', writesMedium: false, accessesMedium: false,
    conflict: ConflictClass.LegacyReserve, usage: [0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    prepare: prepareRelease,
  },
  {
    name: 'PERSISTENT RESERVE IN', opcode: 0x5e, cdbLength: 10, direction: 'in', writesMedium: false, accessesMedium: false,
    conflict: ConflictClass.PersistentReserve, allowedInStandby: 'standby', usage: [0x5e, 0x1f, 0, 0, 0, 0, 0, 0xff, 0xff, 0],
    prepare: preparePersistentReserveIn,
  },
  {
    name: 'PERSISTENT RESERVE OUT', opcode: 0x5f, cdbLength: 10, direction: 'out', writesMedium: false, accessesMedium: false,
    conflict: ConflictClass.PersistentReserve, allowedInStandby: 'standby', usage: [0x5f, 0x1f, 0xff, 0, 0, ...ff4, 0],
    prepare: preparePersistentReserveOut,
  },
  {
    name: 'COMPARE AND WRITE', opcode: 0x89, cdbLength: 16, direction: 'out', writesMedium: true, accessesMedium: true,
    conflict: ConflictClass.Write, usage: [0x89, 0x18, ...ff8, 0, 0, 0, 0xff, 0, 0],
    prepare: prepareCompareAndWrite,
  },
  {
    // WRPROTECT must be 0; DPO and FUA are accepted (every atomic write is durable when it completes).
    name: 'WRITE ATOMIC(16)', opcode: 0x9c, cdbLength: 16, direction: 'out', writesMedium: true, accessesMedium: true,
    conflict: ConflictClass.Write, usage: [0x9c, 0x18, ...ff8, 0, 0, 0xff, 0xff, 0, 0],
    prepare: prepareWriteAtomic,
  },
  {
    name: 'WRITE SAME(10)', opcode: 0x41, cdbLength: 10, direction: 'out', writesMedium: true, accessesMedium: true,
    conflict: ConflictClass.Write, usage: [0x41, 0x08, ...ff4, 0, 0xff, 0xff, 0],
    prepare: prepareWriteSame,
  },
  {
    name: 'WRITE SAME(16)', opcode: 0x93, cdbLength: 16, direction: 'out', writesMedium: true, accessesMedium: true,
    conflict: ConflictClass.Write, usage: [0x93, 0x09, ...ff8, ...ff4, 0, 0],
    prepare: prepareWriteSame,
  },
  {
    name: 'UNMAP', opcode: 0x42, cdbLength: 10, direction: 'out', writesMedium: true, accessesMedium: true,
    conflict: ConflictClass.Write, replicaStream: true, usage: [0x42, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0],
    prepare: prepareUnmap,
  },
  {
    name: 'GET LBA STATUS', opcode: 0x9e, serviceAction: 0x12, cdbLength: 16, direction: 'in', writesMedium: false, accessesMedium: true,
    conflict: ConflictClass.Read, usage: [0x9e, 0x12, ...ff8, ...ff4, 0, 0],
    prepare: prepareGetLbaStatus,
  },
  {
    name: 'ORWRITE(16)', opcode: 0x8b, cdbLength: 16, direction: 'out', writesMedium: true, accessesMedium: true,
    conflict: ConflictClass.Write, usage: [0x8b, 0x18, ...ff8, ...ff4, 0, 0],
    prepare: prepareOrWrite,
  },
  {
    name: 'EXTENDED COPY(LID1)', opcode: 0x83, serviceAction: 0x00, cdbLength: 16, direction: 'out', writesMedium: true, accessesMedium: false,
    conflict: ConflictClass.Write, usage: [0x83, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, ...ff4, 0, 0],
    prepare: prepareExtendedCopy,
  },
  {
    name: 'RECEIVE COPY RESULTS(COPY STATUS)', opcode: 0x84, serviceAction: 0x00, cdbLength: 16, direction: 'in', writesMedium: false, accessesMedium: false,
    conflict: ConflictClass.Read, usage: [0x84, 0x00, 0xff, 0, 0, 0, 0, 0, 0, 0, ...ff4, 0, 0],
    prepare: prepareReceiveCopyResults,
  },
  {
    name: 'RECEIVE COPY RESULTS(OPERATING PARAMETERS)', opcode: 0x84, serviceAction: 0x03, cdbLength: 16, direction: 'in', writesMedium: false, accessesMedium: false,
    conflict: ConflictClass.Read, usage: [0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, ...ff4, 0, 0],
    prepare: prepareReceiveCopyResults,
  },
  ...writeScatteredCommands,
];
