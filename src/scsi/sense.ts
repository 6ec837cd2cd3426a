/** Sense data (SPC-4 §4.5): errors are thrown as SenseError and encoded once, in the dispatcher. */

export const SenseKey = {
  NO_SENSE: 0x0,
  RECOVERED_ERROR: 0x1,
  NOT_READY: 0x2,
  MEDIUM_ERROR: 0x3,
  HARDWARE_ERROR: 0x4,
  ILLEGAL_REQUEST: 0x5,
  UNIT_ATTENTION: 0x6,
  DATA_PROTECT: 0x7,
  BLANK_CHECK: 0x8,
  VENDOR_SPECIFIC: 0x9,
  COPY_ABORTED: 0xa,
  ABORTED_COMMAND: 0xb,
  VOLUME_OVERFLOW: 0xd,
  MISCOMPARE: 0xe,
} as const;

/** ASC/ASCQ pairs used by Tandem, as [asc, ascq]. */
export const Asc = {
  NO_ADDITIONAL_SENSE: [0x00, 0x00],
  UNRECOVERED_READ_ERROR: [0x11, 0x00],
  WRITE_ERROR: [0x0c, 0x00],
  PARAMETER_LIST_LENGTH_ERROR: [0x1a, 0x00],
  INVALID_COMMAND_OPERATION_CODE: [0x20, 0x00],
  LBA_OUT_OF_RANGE: [0x21, 0x00],
  INVALID_FIELD_IN_CDB: [0x24, 0x00],
  LOGICAL_UNIT_NOT_SUPPORTED: [0x25, 0x00],
  INVALID_FIELD_IN_PARAMETER_LIST: [0x26, 0x00],
  PARAMETER_NOT_SUPPORTED: [0x26, 0x01],
  PARAMETER_VALUE_INVALID: [0x26, 0x02],
  INVALID_RELEASE_OF_PERSISTENT_RESERVATION: [0x26, 0x04],
  TOO_MANY_TARGET_DESCRIPTORS: [0x26, 0x06],
  UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE: [0x26, 0x07],
  TOO_MANY_SEGMENT_DESCRIPTORS: [0x26, 0x08],
  UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE: [0x26, 0x09],
  WRITE_PROTECTED: [0x27, 0x00],
  POWER_ON_RESET_OR_BUS_DEVICE_RESET: [0x29, 0x00],
  POWER_ON_OCCURRED: [0x29, 0x01],
  BUS_DEVICE_RESET_FUNCTION_OCCURRED: [0x29, 0x03],
  I_T_NEXUS_LOSS_OCCURRED: [0x29, 0x07],
  MODE_PARAMETERS_CHANGED: [0x2a, 0x01],
  RESERVATIONS_PREEMPTED: [0x2a, 0x03],
  RESERVATIONS_RELEASED: [0x2a, 0x04],
  REGISTRATIONS_PREEMPTED: [0x2a, 0x05],
  CAPACITY_DATA_HAS_CHANGED: [0x2a, 0x09],
  COMMANDS_CLEARED_BY_ANOTHER_INITIATOR: [0x2f, 0x00],
  SAVING_PARAMETERS_NOT_SUPPORTED: [0x39, 0x00],
  MEDIUM_NOT_PRESENT: [0x3a, 0x00],
  REPORTED_LUNS_DATA_HAS_CHANGED: [0x3f, 0x0e],
  INQUIRY_DATA_HAS_CHANGED: [0x3f, 0x03],
  MEDIUM_MAY_HAVE_CHANGED: [0x28, 0x00],
  INTERNAL_TARGET_FAILURE: [0x44, 0x00],
  INSUFFICIENT_REGISTRATION_RESOURCES: [0x55, 0x04],
  MISCOMPARE_DURING_VERIFY_OPERATION: [0x1d, 0x00],
  LOGICAL_UNIT_NOT_READY_CAUSE_NOT_REPORTABLE: [0x04, 0x00],
  LOGICAL_UNIT_IS_IN_PROCESS_OF_BECOMING_READY: [0x04, 0x01],
  LOGICAL_UNIT_NOT_READY_INITIALIZING_COMMAND_REQUIRED: [0x04, 0x02],
  LOGICAL_UNIT_NOT_ACCESSIBLE_ASYMMETRIC_ACCESS_STATE_TRANSITION: [0x04, 0x0a],
  LOGICAL_UNIT_NOT_ACCESSIBLE_TARGET_PORT_IN_STANDBY_STATE: [0x04, 0x0b],
  LOGICAL_UNIT_NOT_ACCESSIBLE_TARGET_PORT_IN_UNAVAILABLE_STATE: [0x04, 0x0c],
  ASYMMETRIC_ACCESS_STATE_CHANGED: [0x2a, 0x06],
  LOGICAL_UNIT_NOT_READY_SANITIZE_IN_PROGRESS: [0x04, 0x1b],
  SANITIZE_COMMAND_FAILED: [0x31, 0x03],
  MEDIUM_REMOVAL_PREVENTED: [0x53, 0x02],
  COMMAND_SEQUENCE_ERROR: [0x2c, 0x00],
} as const satisfies Record<string, readonly [number, number]>;

export type AscPair = readonly [number, number];

/** Sense-key-specific field pointer (SPC-4 §4.5.2.4.2). */
export interface FieldPointer {
  /** true: the error is in the CDB; false: in the parameter list (Data-Out). */
  inCdb: boolean;
  byte: number;
  /** Bit within `byte` (0-7), when the field does not start on a byte boundary. */
  bit?: number;
}

export interface SenseInfo {
  key: number;
  asc: AscPair;
  field?: FieldPointer;
  /** INFORMATION field, e.g. the offset of the first miscompare for COMPARE AND WRITE. */
  information?: bigint;
  /**
   * Progress indication (SPC-4 §4.5.2.4.4), a fraction of 65536: the sense-key-specific
   * field of a NOT READY answer while a long operation (SANITIZE) runs. Excludes `field`.
   */
  progress?: number;
}

export class SenseError extends Error implements SenseInfo {
  readonly key: number;
  readonly asc: AscPair;
  readonly field?: FieldPointer;
  readonly information?: bigint;
  readonly progress?: number;
  constructor(info: SenseInfo) {
    super(`sense key ${info.key.toString(16)} asc ${info.asc[0].toString(16)}/${info.asc[1].toString(16)}`);
    this.name = 'SenseError';
    this.key = info.key;
    this.asc = info.asc;
    this.field = info.field;
    this.information = info.information;
    this.progress = info.progress;
  }
}

/** ILLEGAL REQUEST, INVALID FIELD IN CDB, pointing at `byte` (and `bit`). */
export function invalidCdbField(byte: number, bit?: number): SenseError {
  return new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.INVALID_FIELD_IN_CDB, field: { inCdb: true, byte, bit } });
}

/** ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST, pointing at `byte` (and `bit`) of the Data-Out. */
export function invalidParamField(byte: number, bit?: number): SenseError {
  return new SenseError({
    key: SenseKey.ILLEGAL_REQUEST,
    asc: Asc.INVALID_FIELD_IN_PARAMETER_LIST,
    field: { inCdb: false, byte, bit },
  });
}

/** ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE, pointing at the LBA field (in the CDB or a parameter list descriptor). */
export function lbaOutOfRange(lbaField: FieldPointer): SenseError {
  return new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.LBA_OUT_OF_RANGE, field: lbaField });
}

function senseKeySpecific(info: SenseInfo): Buffer | undefined {
  if (info.progress !== undefined) {
    const b = Buffer.alloc(3);
    b[0] = 0x80; // SKSV
    b.writeUInt16BE(Math.max(0, Math.min(0xffff, Math.floor(info.progress))), 1);
    return b;
  }
  const field = info.field;
  if (!field) return undefined;
  const b = Buffer.alloc(3);
  // SKSV, C/D, BPV, bit pointer; then the field pointer.
  b[0] = 0x80 | (field.inCdb ? 0x40 : 0) | (field.bit !== undefined ? 0x08 | (field.bit & 7) : 0);
  b.writeUInt16BE(field.byte, 1);
  return b;
}

/** Fixed-format sense data (response code 70h), 18 bytes. */
export function encodeFixedSense(info: SenseInfo): Buffer {
  const b = Buffer.alloc(18);
  // Information wider than the 4-byte field is left out, VALID zero (SPC-4 §4.5.3).
  const fits = info.information !== undefined && info.information >= 0n && info.information <= 0xffffffffn;
  b[0] = 0x70 | (fits ? 0x80 : 0);
  b[2] = info.key & 0x0f;
  if (fits) b.writeUInt32BE(Number(info.information), 3);
  b[7] = 10;
  b[12] = info.asc[0];
  b[13] = info.asc[1];
  senseKeySpecific(info)?.copy(b, 15);
  return b;
}

/** Descriptor-format sense data (response code 72h), with information and sense-key-specific descriptors. */
export function encodeDescriptorSense(info: SenseInfo): Buffer {
  const parts: Buffer[] = [];
  if (info.information !== undefined) {
    const d = Buffer.alloc(12);
    d[0] = 0x00;
    d[1] = 0x0a;
    d[2] = 0x80; // VALID
    d.writeBigUInt64BE(BigInt.asUintN(64, info.information), 4);
    parts.push(d);
  }
  const sks = senseKeySpecific(info);
  if (sks) {
    const d = Buffer.alloc(8);
    d[0] = 0x02;
    d[1] = 0x06;
    sks.copy(d, 4);
    parts.push(d);
  }
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h[0] = 0x72;
  h[1] = info.key & 0x0f;
  h[2] = info.asc[0];
  h[3] = info.asc[1];
  h[7] = body.length;
  return Buffer.concat([h, body]);
}

export function encodeSense(info: SenseInfo, descriptorFormat: boolean): Buffer {
  return descriptorFormat ? encodeDescriptorSense(info) : encodeFixedSense(info);
}
