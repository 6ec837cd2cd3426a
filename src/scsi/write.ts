/** WRITE(6/10/12/16) (SBC-3 §5.32-5.36). */
import { ConflictClass } from './types.js';
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import type { CommandContext } from './types.js';
import { blockFields, checkTransfer, rejectProtection } from './cdb.js';
import { assertWritable } from './medium-writer.js';

/** The whole blocks of `data` actually received (an initiator may send less than the CDB says). */
export function wholeBlocks(lu: LogicalUnit, data: Buffer | undefined, expected: number): Buffer | undefined {
  if (!data || data.length === 0) return undefined;
  const usable = Math.min(expected, data.length - (data.length % lu.blockSize));
  if (usable === 0) return undefined;
  return usable === data.length ? data : data.subarray(0, usable);
}

/** Whether a write must be durable on completion: its FUA bit, or the write cache turned off (WCE=0). */
export function writesThrough(lu: { writeCacheEnabled(): boolean }, fuaBit: boolean): boolean {
  return fuaBit || !lu.writeCacheEnabled();
}

/**
 * Runs `write` with the blocks' extent lock held: a COMPARE AND WRITE (ORWRITE, WRITE SAME)
 * of them must not read before this write and write after it (its GOOD then overwrote this
 * acknowledged write). Uncontended, no promise is added but the write's own settling.
 */
export function underExtentLock(lu: LogicalUnit, lba: number, blocks: number, write: () => Promise<void>): Promise<void> {
  const release = lu.extentLocks.tryAcquire(lba, blocks);
  if (release) return settleThen(write, release);
  return lu.extentLocks.acquire(lba, blocks).then((late) => settleThen(write, late));
}

function settleThen(write: () => Promise<void>, release: () => void): Promise<void> {
  let running: Promise<void>;
  try {
    running = write();
  } catch (e) {
    release();
    throw e;
  }
  return running.finally(release);
}

function prepareWrite(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  const isWrite6 = cdb[0] === 0x0a;
  if (!isWrite6) rejectProtection(cdb);
  const f = blockFields(cdb);
  const lba = checkTransfer(lu, f);
  const bytes = f.blocks * lu.blockSize;
  const fua = writesThrough(lu, !isWrite6 && (cdb[1]! & 0x08) !== 0);
  return {
    dataOutLength: bytes,
    // The device's own promise, not an async wrapper around it; `hold` lets a device that
    // queues the data (asynchronous mirroring) keep the transport's pooled buffer.
    run(dataOut, hold) {
      const data = wholeBlocks(lu, dataOut, bytes);
      if (!data) return;
      // Admitted again now: the role may have changed while the Data-Out arrived.
      assertWritable(lu, ctx.nexus);
      return underExtentLock(lu, lba, f.blocks, () => lu.device.write(data, lba * lu.blockSize, fua, hold));
    },
  };
}

const common = { direction: 'out', writesMedium: true, accessesMedium: true, conflict: ConflictClass.Write, replicaStream: true, prepare: prepareWrite } as const;

export const writeCommands: CommandDescriptor[] = [
  { ...common, name: 'WRITE(6)', opcode: 0x0a, cdbLength: 6, usage: [0x0a, 0x1f, 0xff, 0xff, 0xff, 0x00] },
  {
    ...common,
    name: 'WRITE(10)',
    opcode: 0x2a,
    cdbLength: 10,
    usage: [0x2a, 0x1a, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00],
  },
  {
    ...common,
    name: 'WRITE(12)',
    opcode: 0xaa,
    cdbLength: 12,
    usage: [0xaa, 0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
  {
    ...common,
    name: 'WRITE(16)',
    opcode: 0x8a,
    cdbLength: 16,
    usage: [0x8a, 0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
];
