/** MODE SENSE(6/10) (SPC-4 §6.11-6.12). */
import { ConflictClass } from './types.js';
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import type { CommandContext, Nexus } from './types.js';
import { Asc, SenseError, SenseKey, invalidCdbField } from './sense.js';
import { clip, u16 } from './cdb.js';
import { ModePages, PageControl } from './mode-pages.js';

/** Device-specific parameter for direct-access devices: WP (as LogicalUnit.showsWriteProtect) and DPOFUA. */
export function deviceSpecificParameter(lu: LogicalUnit, nexus: Nexus): number {
  return (lu.showsWriteProtect(nexus) ? 0x80 : 0) | 0x10;
}

export function shortBlockDescriptor(lu: LogicalUnit): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(Math.min(lu.blockCount, 0xffffffff), 0);
  b.writeUIntBE(lu.blockSize, 5, 3);
  return b;
}

export function longBlockDescriptor(lu: LogicalUnit): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt(lu.blockCount), 0);
  b.writeUInt32BE(lu.blockSize, 12);
  return b;
}

/** Validate PC, page and subpage; returns the encoded pages. */
function selectPages(lu: LogicalUnit, cdb: Buffer): Buffer {
  const pageControl = cdb[2]! >> 6;
  const pageCode = cdb[2]! & 0x3f;
  const subpage = cdb[3]!;
  if (!ModePages.supports(pageCode)) throw invalidCdbField(2, 5);
  if (subpage !== 0 && subpage !== 0xff) throw invalidCdbField(3);
  if (pageControl === PageControl.SAVED) {
    throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.SAVING_PARAMETERS_NOT_SUPPORTED, field: { inCdb: true, byte: 2, bit: 7 } });
  }
  return lu.modePages.encode(pageCode, pageControl);
}

function prepareModeSense6(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  const dbd = (cdb[1]! & 0x08) !== 0;
  const pages = selectPages(lu, cdb);
  const allocation = cdb[4]!;
  return {
    dataOutLength: 0,
    run() {
      const bd = dbd ? Buffer.alloc(0) : shortBlockDescriptor(lu);
      const h = Buffer.from([0, 0, deviceSpecificParameter(lu, ctx.nexus), bd.length]);
      const data = Buffer.concat([h, bd, pages]);
      data[0] = Math.min(data.length - 1, 0xff);
      return clip(data, allocation);
    },
  };
}

function prepareModeSense10(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  const dbd = (cdb[1]! & 0x08) !== 0;
  const llbaa = (cdb[1]! & 0x10) !== 0;
  const pages = selectPages(lu, cdb);
  const allocation = u16(cdb, 7);
  return {
    dataOutLength: 0,
    run() {
      const bd = dbd ? Buffer.alloc(0) : llbaa ? longBlockDescriptor(lu) : shortBlockDescriptor(lu);
      const h = Buffer.alloc(8);
      h[3] = deviceSpecificParameter(lu, ctx.nexus);
      h[4] = bd.length === 16 ? 0x01 : 0x00; // LONGLBA
      h.writeUInt16BE(bd.length, 6);
      const data = Buffer.concat([h, bd, pages]);
      data.writeUInt16BE(data.length - 2, 0);
      return clip(data, allocation);
    },
  };
}

const common = { direction: 'in', writesMedium: false, accessesMedium: false, conflict: ConflictClass.Read, allowedInStandby: 'standby' } as const;

export const modeSenseCommands: CommandDescriptor[] = [
  { ...common, name: 'MODE SENSE(6)', opcode: 0x1a, cdbLength: 6, usage: [0x1a, 0x08, 0xff, 0xff, 0xff, 0x00], prepare: prepareModeSense6 },
  {
    ...common,
    name: 'MODE SENSE(10)',
    opcode: 0x5a,
    cdbLength: 10,
    usage: [0x5a, 0x18, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00],
    prepare: prepareModeSense10,
  },
];
