/** READ(6/10/12/16) (SBC-3 §5.11-5.16). */
import { ConflictClass } from './types.js';
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import type { CommandContext } from './types.js';
import { blockFields, checkTransfer, rejectProtection } from './cdb.js';
import { ioBufferPool } from '../util/buffer-pool.js';

/**
 * Small read buffers are carved from shared slabs: a separate ArrayBuffer per 4 KiB read
 * (Node pools only below 4 KiB) costs a malloc, external-memory accounting and GC sweeping
 * on every command. A slab lives until its last piece has been sent; pieces are short-lived.
 * Larger ones come from the I/O buffer pool, back in it once the transport has sent them.
 */
const SLAB_BYTES = 256 * 1024;
const SLAB_MAX_PIECE = 32 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

function slabPiece(bytes: number): Buffer {
  if (bytes > SLAB_MAX_PIECE) return Buffer.allocUnsafe(bytes);
  if (slabUsed + bytes > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const piece = slab.subarray(slabUsed, slabUsed + bytes);
  // Keep pieces 8-byte aligned (block sizes already are; this is for odd lengths).
  slabUsed += (bytes + 7) & ~7;
  return piece;
}

function prepareRead(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  if (cdb[0] !== 0x08) rejectProtection(cdb);
  const f = blockFields(cdb);
  const lba = checkTransfer(lu, f);
  const bytes = f.blocks * lu.blockSize;
  return {
    dataOutLength: 0,
    dataInLength: bytes,
    run() {
      if (bytes === 0) return;
      // Unzeroed: the device fills the whole buffer or throws.
      const lease = bytes > SLAB_MAX_PIECE ? ioBufferPool.take(bytes) : undefined;
      const buf = lease?.buffer ?? slabPiece(bytes);
      const reading = lu.device.read(buf, lba * lu.blockSize);
      if (!lease) return reading.then(() => buf);
      return reading.then(
        () => lease,
        (e: unknown) => {
          lease.release();
          throw e;
        },
      );
    },
  };
}

const common = { direction: 'in', writesMedium: false, accessesMedium: true ,conflict: ConflictClass.Read, prepare: prepareRead } as const;

export const readCommands: CommandDescriptor[] = [
  { ...common, name: 'READ(6)', opcode: 0x08, cdbLength: 6, usage: [0x08, 0x1f, 0xff, 0xff, 0xff, 0x00] },
  {
    ...common,
    name: 'READ(10)',
    opcode: 0x28,
    cdbLength: 10,
    usage: [0x28, 0x1a, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00],
  },
  {
    ...common,
    name: 'READ(12)',
    opcode: 0xa8,
    cdbLength: 12,
    usage: [0xa8, 0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
  {
    ...common,
    name: 'READ(16)',
    opcode: 0x88,
    cdbLength: 16,
    usage: [0x88, 0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
];
