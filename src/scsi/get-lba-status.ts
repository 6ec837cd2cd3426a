import { allocationMapOf } from '../block/device.js';
import type { HandlerPlan } from './descriptor.js';
import type { CommandContext } from './types.js';
import { lbaOutOfRange } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';

const HEADER_LENGTH = 8;
const DESCRIPTOR_LENGTH = 16;
/** Descriptors per response, whatever the allocation length: bounds allocation-map walks. */
export const MAX_LBA_STATUS_DESCRIPTORS = 64;
/** PROVISIONING STATUS values (SBC-3 Table 58). */
export const Provisioning = { MAPPED: 0, DEALLOCATED: 1 } as const;
/** Allocation queries per response: bounds the walk when the device answers in small pieces. */
const MAX_ALLOCATION_QUERIES = 1024;
/** The EXTENT LENGTH field is 32 bits. */
const MAX_EXTENT_BLOCKS = 0xffffffff;

/** GET LBA STATUS (9Eh/12h, SBC-3 §5.6): extents from the starting LBA, as the device reports them. */
export function prepareGetLbaStatus(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  const start = cdb.readBigUInt64BE(2);
  const allocation = cdb.readUInt32BE(10);
  if (start >= BigInt(lu.blockCount)) throw lbaOutOfRange({ inCdb: true, byte: 2 });
  const first = Number(start);
  const wanted = Math.max(1, Math.min(MAX_LBA_STATUS_DESCRIPTORS, Math.floor((allocation - HEADER_LENGTH) / DESCRIPTOR_LENGTH)));
  return {
    dataOutLength: 0,
    run: async () => {
      const descriptors: Buffer[] = [];
      let lba = first;
      // One allocation map per query: a store walks many extents in one call (allocationMapOf).
      for (let q = 0; q < MAX_ALLOCATION_QUERIES && descriptors.length <= wanted && lba < lu.blockCount; q++) {
        const remaining = Math.min(lu.blockCount - lba, MAX_EXTENT_BLOCKS);
        // No more extents than descriptors still to fill (and the one past them that ends the walk).
        const map = await allocationMapOf(lu.device, lba * lu.blockSize, remaining * lu.blockSize, wanted + 1 - descriptors.length);
        // A store that answers nothing is taken as mapped there (always a safe claim), a block at a time.
        if (map.length === 0) map.push({ offset: lba * lu.blockSize, length: lu.blockSize, mapped: true });
        for (const status of map) {
          // After a sub-block answer the walk is a block ahead of the map: ask again from there.
          if (status.offset !== lba * lu.blockSize || descriptors.length > wanted || lba >= lu.blockCount) break;
          // Sub-block answers still cover the whole block they start in.
          const blocks = Math.min(lu.blockCount - lba, MAX_EXTENT_BLOCKS, Math.max(1, Math.floor(status.length / lu.blockSize)));
          const prev = descriptors[descriptors.length - 1];
          const code = status.mapped ? Provisioning.MAPPED : Provisioning.DEALLOCATED;
          if (prev && prev[12] === code && prev.readUInt32BE(8) + blocks <= MAX_EXTENT_BLOCKS) {
            prev.writeUInt32BE(prev.readUInt32BE(8) + blocks, 8);
          } else {
            const d = Buffer.alloc(DESCRIPTOR_LENGTH);
            d.writeBigUInt64BE(BigInt(lba), 0);
            d.writeUInt32BE(blocks, 8);
            d[12] = code;
            descriptors.push(d);
          }
          lba += blocks;
        }
      }
      // The walk may have opened one descriptor past what was asked for; it is not reported.
      if (descriptors.length > wanted) descriptors.length = wanted;
      const head = Buffer.alloc(HEADER_LENGTH);
      // PARAMETER DATA LENGTH counts the bytes after itself.
      head.writeUInt32BE(HEADER_LENGTH - 4 + descriptors.length * DESCRIPTOR_LENGTH, 0);
      const data = Buffer.concat([head, ...descriptors]);
      return data.length > allocation ? data.subarray(0, allocation) : data;
    },
  };
}
