/** READ CAPACITY(10) (SBC-3 §5.19) and READ CAPACITY(16) (SBC-3 §5.20). */
import { ConflictClass } from './types.js';
import type { CommandDescriptor } from './descriptor.js';
import type { CommandTable } from './command-table.js';
import { invalidCdbField } from './sense.js';
import { clip, u32 } from './cdb.js';
import { provisioningSupport } from './vpd-pages.js';

export const readCapacity10Command: CommandDescriptor = {
  name: 'READ CAPACITY(10)',
  opcode: 0x25,
  cdbLength: 10,
  direction: 'in',
  writesMedium: false,
  accessesMedium: true,
  conflict: ConflictClass.Read,
  allowedInStandby: 'standby',
  usage: [0x25, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00],
  prepare(lu, ctx) {
    // PMI=0 requires LOGICAL BLOCK ADDRESS 0 (SBC-3 §5.19.1).
    if (!(ctx.cdb[8]! & 0x01) && u32(ctx.cdb, 2) !== 0) throw invalidCdbField(2);
    return {
      dataOutLength: 0,
      run() {
        const b = Buffer.alloc(8);
        // A medium too big for 32 bits reports FFFFFFFFh: the initiator must use READ CAPACITY(16).
        b.writeUInt32BE(lu.blockCount - 1 > 0xfffffffe ? 0xffffffff : lu.blockCount - 1, 0);
        b.writeUInt32BE(lu.blockSize, 4);
        return b;
      },
    };
  },
};

export function readCapacity16Command(table: () => CommandTable): CommandDescriptor {
  return {
    name: 'READ CAPACITY(16)',
    opcode: 0x9e,
    serviceAction: 0x10,
    cdbLength: 16,
    direction: 'in',
    writesMedium: false,
    accessesMedium: true,
    conflict: ConflictClass.Read,
    allowedInStandby: 'standby',
    usage: [0x9e, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00],
    prepare(lu, ctx) {
      const allocation = u32(ctx.cdb, 10);
      return {
        dataOutLength: 0,
        run() {
          const b = Buffer.alloc(32);
          b.writeBigUInt64BE(BigInt(lu.blockCount - 1), 0);
          b.writeUInt32BE(lu.blockSize, 8);
          b[13] = lu.physicalBlockExponent & 0x0f;
          // LBPME and LBPRZ: thin provisioning with zeroes after unmap.
          if (provisioningSupport(lu, table()).thin) b[14] = 0xc0;
          return clip(b, allocation);
        },
      };
    },
  };
}
