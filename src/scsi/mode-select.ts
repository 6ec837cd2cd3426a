/** MODE SELECT(6/10) (SPC-4 §6.9-6.10). */
import { ConflictClass } from './types.js';
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import type { CommandContext } from './types.js';
import { Asc, SenseError, SenseKey, invalidCdbField, invalidParamField } from './sense.js';
import { u16 } from './cdb.js';
import { publishLuState } from './shared-lu-state.js';

function parameterListLengthError(): SenseError {
  return new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
}

/** PF must be 1 (we only speak the SPC page format); SP must be 0 (nothing is savable). */
function checkFlags(cdb: Buffer): void {
  if (!(cdb[1]! & 0x10)) throw invalidCdbField(1, 4);
  if (cdb[1]! & 0x01) throw invalidCdbField(1, 0);
}

/** A block descriptor may restate our geometry but never change it. */
function checkBlockDescriptor(lu: LogicalUnit, list: Buffer, at: number, long: boolean): void {
  const blocks = long ? list.readBigUInt64BE(at) : BigInt(list.readUInt32BE(at));
  const lengthAt = long ? at + 12 : at + 5;
  const blockLength = long ? list.readUInt32BE(lengthAt) : list.readUIntBE(lengthAt, 3);
  const ours = BigInt(Math.min(lu.blockCount, long ? Number.MAX_SAFE_INTEGER : 0xffffffff));
  if (blocks !== 0n && blocks !== ours) throw invalidParamField(at);
  if (blockLength !== lu.blockSize) throw invalidParamField(lengthAt);
}

/** Applies the list; true when a value changed. */
function apply(lu: LogicalUnit, ctx: CommandContext, list: Buffer, headerLength: number): boolean {
  if (list.length < headerLength) throw parameterListLengthError();
  let bdLength: number;
  let long = false;
  if (headerLength === 4) {
    if (list[1] !== 0) throw invalidParamField(1);
    bdLength = list[3]!;
    if (bdLength !== 0 && bdLength !== 8) throw invalidParamField(3);
  } else {
    if (list[2] !== 0) throw invalidParamField(2);
    long = (list[4]! & 0x01) !== 0;
    bdLength = list.readUInt16BE(6);
    if (bdLength !== 0 && bdLength !== (long ? 16 : 8)) throw invalidParamField(6);
  }
  if (list.length < headerLength + bdLength) throw parameterListLengthError();
  if (bdLength) checkBlockDescriptor(lu, list, headerLength, long);
  if (!lu.modePages.select(list, headerLength + bdLength)) return false;
  lu.unitAttentions.establish(Asc.MODE_PARAMETERS_CHANGED, ctx.nexus);
  return true;
}

function plan(lu: LogicalUnit, ctx: CommandContext, listLength: number, headerLength: number): HandlerPlan {
  checkFlags(ctx.cdb);
  return {
    dataOutLength: listLength,
    async run(dataOut) {
      if (listLength === 0) return;
      const list = dataOut ?? Buffer.alloc(0);
      // The values are the LU's, which a replicated LU's peer serves too.
      if (apply(lu, ctx, list.length > listLength ? list.subarray(0, listLength) : list, headerLength)) await publishLuState(lu);
    },
  };
}

const common = { direction: 'out', writesMedium: false, accessesMedium: false, conflict: ConflictClass.Exclusive, allowedInStandby: 'standby' } as const;

export const modeSelectCommands: CommandDescriptor[] = [
  {
    ...common,
    name: 'MODE SELECT(6)',
    opcode: 0x15,
    cdbLength: 6,
    usage: [0x15, 0x11, 0x00, 0x00, 0xff, 0x00],
    prepare: (lu, ctx) => plan(lu, ctx, ctx.cdb[4]!, 4),
  },
  {
    ...common,
    name: 'MODE SELECT(10)',
    opcode: 0x55,
    cdbLength: 10,
    usage: [0x55, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00],
    prepare: (lu, ctx) => plan(lu, ctx, u16(ctx.cdb, 7), 8),
  },
];
