/**
 * REPORT TARGET PORT GROUPS (SPC-4 §6.36, MAINTENANCE IN A3h / 0Ah) of a replicated LU:
 * one group per node of the pair, this node's first. PARAMETER DATA FORMAT 000b is the
 * length-only header, 001b the extended header with the implicit transition time. A plain
 * LU has no ALUA (INQUIRY TPGS 00b): it does not have the command (an unsupported service
 * action, and REPORT SUPPORTED OPERATION CODES leaves it out).
 */
import type { TargetPortGroupReport } from '../replica-protocol/index.js';
import { ConflictClass } from './types.js';
import type { CommandDescriptor } from './descriptor.js';
import { invalidCdbField } from './sense.js';
import { clip, u32 } from './cdb.js';

export const RTPG_SERVICE_ACTION = 0x0a;
const FORMAT_LENGTH_ONLY = 0;
const FORMAT_EXTENDED = 1;
/** How long a role change may keep a group transitioning, seconds (a switchover's hold, a promotion). */
export const IMPLICIT_TRANSITION_SECONDS = 30;
/** T_SUP, U_SUP, S_SUP, AO_SUP: the states a Tandem port group takes. */
const SUPPORTED_STATES = 0x80 | 0x08 | 0x04 | 0x01;
const STATUS_NONE = 0x00;
const STATUS_IMPLICIT = 0x02;

export function encodePortGroup(g: TargetPortGroupReport): Buffer {
  const b = Buffer.alloc(8 + 4 * g.relativePorts.length);
  b[0] = g.state & 0x0f;
  b[1] = SUPPORTED_STATES;
  b.writeUInt16BE(g.id, 2);
  b[5] = g.changedImplicitly ? STATUS_IMPLICIT : STATUS_NONE;
  b[7] = g.relativePorts.length;
  g.relativePorts.forEach((p, i) => b.writeUInt16BE(p, 8 + 4 * i + 2));
  return b;
}

/** The parameter data: RETURN DATA LENGTH counts the bytes after itself. */
export function encodeTargetPortGroups(groups: readonly TargetPortGroupReport[], extended: boolean): Buffer {
  const header = Buffer.alloc(extended ? 8 : 4);
  if (extended) {
    header[4] = FORMAT_EXTENDED << 4;
    header[5] = IMPLICIT_TRANSITION_SECONDS;
  }
  const data = Buffer.concat([header, ...groups.map(encodePortGroup)]);
  data.writeUInt32BE(data.length - 4, 0);
  return data;
}

export const reportTargetPortGroupsCommand: CommandDescriptor = {
  name: 'REPORT TARGET PORT GROUPS',
  opcode: 0xa3,
  serviceAction: RTPG_SERVICE_ACTION,
  cdbLength: 12,
  direction: 'in',
  writesMedium: false,
  accessesMedium: false,
  conflict: ConflictClass.Allowed,
  allowedInStandby: 'inactive',
  availableOn: (lu) => lu.replication !== undefined,
  // PARAMETER DATA FORMAT | SERVICE ACTION, reserved, ALLOCATION LENGTH, reserved, CONTROL.
  usage: [0xa3, 0x2a, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
  prepare(lu, ctx) {
    const alua = lu.replication;
    // availableOn keeps plain LUs out; this answers as they would if it is ever bypassed.
    if (!alua) throw invalidCdbField(1, 4);
    const cdb = ctx.cdb;
    const format = cdb[1]! >> 5;
    if (format !== FORMAT_LENGTH_ONLY && format !== FORMAT_EXTENDED) throw invalidCdbField(1, 7);
    for (let i = 2; i < 6; i++) if (cdb[i] !== 0) throw invalidCdbField(i);
    if (cdb[10] !== 0) throw invalidCdbField(10);
    const allocation = u32(cdb, 6);
    return {
      dataOutLength: 0,
      run() {
        const { local, peer } = alua.portGroups();
        return clip(encodeTargetPortGroups(peer ? [local, peer] : [local], format === FORMAT_EXTENDED), allocation);
      },
    };
  },
};
