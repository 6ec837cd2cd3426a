import type { HandlerPlan } from './descriptor.js';
import type { CommandContext } from './types.js';
import { invalidCdbField } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';
import { CSCD_IDENTIFICATION, SEGMENT_BLOCK_TO_BLOCK, XcopyLimits, copyStatusOf } from './extended-copy.js';

/** RECEIVE COPY RESULTS service actions we answer (SPC-4 §6.18). */
export const RcrAction = { COPY_STATUS: 0x00, OPERATING_PARAMETERS: 0x03 } as const;

const IMPLEMENTED_DESCRIPTORS = [SEGMENT_BLOCK_TO_BLOCK, CSCD_IDENTIFICATION];

function operatingParameters(): Buffer {
  const b = Buffer.alloc(44 + IMPLEMENTED_DESCRIPTORS.length);
  b.writeUInt32BE(b.length - 4, 0);
  b.writeUInt16BE(XcopyLimits.MAX_CSCD_DESCRIPTORS, 8);
  b.writeUInt16BE(XcopyLimits.MAX_SEGMENT_DESCRIPTORS, 10);
  b.writeUInt32BE(XcopyLimits.MAX_DESCRIPTOR_LIST_LENGTH, 12);
  b.writeUInt32BE(XcopyLimits.MAX_SEGMENT_BYTES, 16);
  // No inline data, no held data, no stream devices; one copy at a time per list ID.
  b.writeUInt16BE(1, 34);
  b[36] = 1;
  b[43] = IMPLEMENTED_DESCRIPTORS.length;
  IMPLEMENTED_DESCRIPTORS.forEach((code, i) => (b[44 + i] = code));
  return b;
}

function copyStatus(lu: AdvancedLu, ctx: CommandContext, listId: number): Buffer {
  const status = copyStatusOf(lu, ctx.nexus, listId);
  if (!status) throw invalidCdbField(2);
  const b = Buffer.alloc(12);
  b.writeUInt32BE(8, 0);
  b[4] = status.state === 'running' ? 0x00 : status.state === 'done' ? 0x01 : 0x02;
  b.writeUInt16BE(Math.min(status.segmentsProcessed, 0xffff), 5);
  // Transfer count in KiB (units code F1h) so large copies fit the 32-bit field.
  b[7] = 0xf1;
  b.writeUInt32BE(Math.min(Math.floor(status.bytesTransferred / 1024), 0xffffffff), 8);
  return b;
}

/** RECEIVE COPY RESULTS (84h): OPERATING PARAMETERS and COPY STATUS. */
export function prepareReceiveCopyResults(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  const action = cdb[1]! & 0x1f;
  const listId = cdb[2]!;
  const allocation = cdb.readUInt32BE(10);
  if (action !== RcrAction.COPY_STATUS && action !== RcrAction.OPERATING_PARAMETERS) throw invalidCdbField(1, 4);
  return {
    dataOutLength: 0,
    run: () => {
      const data = action === RcrAction.OPERATING_PARAMETERS ? operatingParameters() : copyStatus(lu, ctx, listId);
      return data.length > allocation ? data.subarray(0, allocation) : data;
    },
  };
}
