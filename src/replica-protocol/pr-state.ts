/**
 * The persistent-reservation state of a replicated LU, as one node hands it to the other
 * (REPLICATION CONTROL / PR STATE, docs/vendor-commands.md §10): every registration (keyed by
 * its I_T nexus: initiator port and target port), the reservation and PRgeneration. Hosts see
 * one LU through both nodes, so both hold the whole state; the higher SEQUENCE wins.
 *
 * Layout: 0-7 SEQUENCE | 8-11 PRGENERATION | 12 bit 0 APTPL, bit 1 RESERVED (a reservation
 * is held) | 13 bits 3-0 TYPE | 14-15 HOLDER (index of the registration; FFFFh: all
 * registrants) | 16-17 REGISTRATION COUNT | 18-19 reserved | registrations: 0-7 RESERVATION
 * KEY | 8-13 ISID | 14-15 TPGT | 16-17 RELATIVE TARGET PORT (0: every target port, a
 * registration made with ALL_TG_PT; TPGT and target name then say where it was made) |
 * 18 INITIATOR NAME LENGTH (I) | 19 TARGET NAME LENGTH (T) | 20.. initiator name, then
 * target name (UTF-8, no terminator).
 * When byte 12 bit 2 (MODE) is set, 4 bytes follow the registrations: the LU's changeable mode
 * parameters (0 bit 0 WCE, bit 1 D_SENSE, bit 2 SWP, bit 3 TAS; the rest reserved). Without it they are
 * the defaults: a sender that never saw them changed stays readable by a peer from before.
 */
import { ChallengeFormatError } from './errors.js';

export const PR_STATE_HEADER_BYTES = 20;
const REGISTRATION_FIXED_BYTES = 20;
/** iSCSI names are at most 223 bytes (RFC 7143 §4.2.7.1). */
const MAX_NAME_BYTES = 223;
/** Far more than any cluster registers; bounds the parameter list. */
export const MAX_SHARED_REGISTRATIONS = 256;
const MODE_BYTES = 4;
export const MAX_PR_STATE_BYTES = PR_STATE_HEADER_BYTES + MAX_SHARED_REGISTRATIONS * (REGISTRATION_FIXED_BYTES + 2 * MAX_NAME_BYTES) + MODE_BYTES;
const MODE_FLAG = 4;
const ALL_REGISTRANTS = 0xffff;

export interface SharedRegistration {
  key: bigint;
  initiatorName: string;
  /** 12 lowercase hex digits. */
  isid: string;
  targetName: string;
  tpgt: number;
  relativePortId: number;
}

/** The mode parameters hosts may change (MODE SELECT), which are the LU's, whichever node's port set them. */
export interface SharedModeParameters {
  /** Caching page WCE. */
  writeCache: boolean;
  /** Control page D_SENSE. */
  descriptorSense: boolean;
  /** Control page SWP. */
  softwareWriteProtect: boolean;
  /** Control page TAS (commands another nexus aborted answer TASK ABORTED). */
  taskAbortedStatus: boolean;
}

/** What a LU holds before any MODE SELECT (and what a state without the MODE section carries). */
export const DEFAULT_MODE_PARAMETERS: Readonly<SharedModeParameters> = Object.freeze({ writeCache: true, descriptorSense: false, softwareWriteProtect: false, taskAbortedStatus: false });

export interface SharedPrState {
  sequence: bigint;
  generation: number;
  aptpl: boolean;
  /** `holder` indexes `registrations`; null for the all-registrants types. */
  reservation: { type: number; holder: number | null } | null;
  registrations: SharedRegistration[];
  mode: SharedModeParameters;
}

/** A malformed PR STATE list; `byte` is the offending byte (-1: the list length). */
export class PrStateFormatError extends ChallengeFormatError {
  constructor(
    message: string,
    readonly byte: number,
  ) {
    super(message);
    this.name = 'PrStateFormatError';
  }
}

export function encodeSharedPrState(s: SharedPrState): Buffer {
  if (s.registrations.length > MAX_SHARED_REGISTRATIONS) throw new RangeError(`at most ${MAX_SHARED_REGISTRATIONS} registrations`);
  const h = Buffer.alloc(PR_STATE_HEADER_BYTES);
  h.writeBigUInt64BE(s.sequence, 0);
  h.writeUInt32BE(s.generation >>> 0, 8);
  const mode = isDefaultMode(s.mode) ? undefined : Buffer.from([modeByte(s.mode), 0, 0, 0]);
  h[12] = (s.aptpl ? 1 : 0) | (s.reservation ? 2 : 0) | (mode ? MODE_FLAG : 0);
  if (s.reservation) {
    h[13] = s.reservation.type & 0x0f;
    h.writeUInt16BE(s.reservation.holder ?? ALL_REGISTRANTS, 14);
  }
  h.writeUInt16BE(s.registrations.length, 16);
  return Buffer.concat([h, ...s.registrations.map(encodeRegistration), ...(mode ? [mode] : [])]);
}

const MODE_BITS = { writeCache: 1, descriptorSense: 2, softwareWriteProtect: 4, taskAbortedStatus: 8 } as const;
const MODE_RESERVED_BITS = 0xf0;

function modeByte(m: SharedModeParameters): number {
  let byte = 0;
  for (const [name, bit] of Object.entries(MODE_BITS)) if (m[name as keyof SharedModeParameters]) byte |= bit;
  return byte;
}

function isDefaultMode(m: SharedModeParameters): boolean {
  return modeByte(m) === modeByte(DEFAULT_MODE_PARAMETERS);
}

function encodeRegistration(r: SharedRegistration): Buffer {
  const initiator = Buffer.from(r.initiatorName, 'utf8');
  const target = Buffer.from(r.targetName, 'utf8');
  if (initiator.length === 0 || initiator.length > MAX_NAME_BYTES || target.length === 0 || target.length > MAX_NAME_BYTES) throw new RangeError('iSCSI names are 1-223 bytes');
  if (!/^[0-9a-f]{12}$/i.test(r.isid)) throw new RangeError('ISID must be 12 hex digits');
  const b = Buffer.alloc(REGISTRATION_FIXED_BYTES);
  b.writeBigUInt64BE(r.key, 0);
  Buffer.from(r.isid, 'hex').copy(b, 8);
  b.writeUInt16BE(r.tpgt, 14);
  b.writeUInt16BE(r.relativePortId, 16);
  b[18] = initiator.length;
  b[19] = target.length;
  return Buffer.concat([b, initiator, target]);
}

/** Throws PrStateFormatError naming the byte at fault (the target maps it to a field pointer). */
export function decodeSharedPrState(b: Buffer): SharedPrState {
  if (b.length < PR_STATE_HEADER_BYTES) throw new PrStateFormatError(`PR STATE list of ${b.length} bytes (at least ${PR_STATE_HEADER_BYTES})`, -1);
  if (b[12]! & 0xf8) throw new PrStateFormatError('reserved flag bits set', 12);
  if (b[13]! & 0xf0) throw new PrStateFormatError('reserved type bits set', 13);
  if (b[18] !== 0 || b[19] !== 0) throw new PrStateFormatError('reserved bytes set', b[18] !== 0 ? 18 : 19);
  const count = b.readUInt16BE(16);
  if (count > MAX_SHARED_REGISTRATIONS) throw new PrStateFormatError(`${count} registrations (at most ${MAX_SHARED_REGISTRATIONS})`, 16);
  const registrations: SharedRegistration[] = [];
  let at = PR_STATE_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (b.length < at + REGISTRATION_FIXED_BYTES) throw new PrStateFormatError('PR STATE list shorter than its registration count says', -1);
    const il = b[at + 18]!;
    const tl = b[at + 19]!;
    if (il === 0 || il > MAX_NAME_BYTES) throw new PrStateFormatError('initiator name length out of range', at + 18);
    if (tl === 0 || tl > MAX_NAME_BYTES) throw new PrStateFormatError('target name length out of range', at + 19);
    const end = at + REGISTRATION_FIXED_BYTES + il + tl;
    if (b.length < end) throw new PrStateFormatError('PR STATE list shorter than its registration count says', -1);
    registrations.push({
      key: b.readBigUInt64BE(at),
      isid: b.toString('hex', at + 8, at + 14),
      tpgt: b.readUInt16BE(at + 14),
      relativePortId: b.readUInt16BE(at + 16),
      initiatorName: b.toString('utf8', at + REGISTRATION_FIXED_BYTES, at + REGISTRATION_FIXED_BYTES + il),
      targetName: b.toString('utf8', at + REGISTRATION_FIXED_BYTES + il, end),
    });
    at = end;
  }
  let mode: SharedModeParameters = { ...DEFAULT_MODE_PARAMETERS };
  if (b[12]! & MODE_FLAG) {
    if (b.length < at + MODE_BYTES) throw new PrStateFormatError('PR STATE list shorter than its MODE section', -1);
    const byte = b[at]!;
    if (byte & MODE_RESERVED_BITS) throw new PrStateFormatError('reserved mode bits set', at);
    for (let i = 1; i < MODE_BYTES; i++) if (b[at + i] !== 0) throw new PrStateFormatError('reserved mode bytes set', at + i);
    mode = {
      writeCache: (byte & MODE_BITS.writeCache) !== 0,
      descriptorSense: (byte & MODE_BITS.descriptorSense) !== 0,
      softwareWriteProtect: (byte & MODE_BITS.softwareWriteProtect) !== 0,
      taskAbortedStatus: (byte & MODE_BITS.taskAbortedStatus) !== 0,
    };
    at += MODE_BYTES;
  }
  if (at !== b.length) throw new PrStateFormatError('PR STATE list longer than its registrations', -1);
  const reserved = (b[12]! & 2) !== 0;
  const holderField = b.readUInt16BE(14);
  if (!reserved && (b[13] !== 0 || holderField !== 0)) throw new PrStateFormatError('type or holder without a reservation', b[13] !== 0 ? 13 : 14);
  if (reserved && holderField !== ALL_REGISTRANTS && holderField >= count) throw new PrStateFormatError('holder is not a registration', 14);
  return {
    sequence: b.readBigUInt64BE(0),
    generation: b.readUInt32BE(8),
    aptpl: (b[12]! & 1) !== 0,
    reservation: reserved ? { type: b[13]!, holder: holderField === ALL_REGISTRANTS ? null : holderField } : null,
    registrations,
    mode,
  };
}
