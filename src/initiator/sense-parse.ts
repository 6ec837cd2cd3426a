/**
 * Parse sense data returned with CHECK CONDITION (SPC-4 §4.5): fixed format (70h/71h)
 * and descriptor format (72h/73h). Truncated data yields what is present; anything that
 * is not sense data at all throws SenseFormatError.
 */

export interface SenseFieldPointer {
  /** true: the error is in the CDB; false: in the parameter data. */
  inCdb: boolean;
  byte: number;
  bit?: number;
}

export interface ParsedSense {
  /** 'none': CHECK CONDITION arrived without usable sense data (key, asc, ascq are then 0). */
  format: 'fixed' | 'descriptor' | 'none';
  /** 71h/73h: the error belongs to an earlier command. */
  deferred: boolean;
  key: number;
  asc: number;
  ascq: number;
  /** INFORMATION field when marked valid. */
  info?: bigint;
  field?: SenseFieldPointer;
}

export class SenseFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SenseFormatError';
  }
}

/** Sense-key-specific bytes (SKSV set, sense key ILLEGAL REQUEST): the field pointer. */
function fieldPointerOf(sks: Buffer, key: number): SenseFieldPointer | undefined {
  if (sks.length < 3 || (sks[0]! & 0x80) === 0 || key !== 0x5) return undefined;
  const pointer: SenseFieldPointer = { inCdb: (sks[0]! & 0x40) !== 0, byte: sks.readUInt16BE(1) };
  if (sks[0]! & 0x08) pointer.bit = sks[0]! & 0x07;
  return pointer;
}

function parseFixed(b: Buffer): ParsedSense {
  const key = b.length > 2 ? b[2]! & 0x0f : 0;
  // Additional length bounds what follows byte 7; the buffer bounds it too.
  const end = b.length > 7 ? Math.min(b.length, 8 + b[7]!) : b.length;
  const sense: ParsedSense = {
    format: 'fixed',
    deferred: (b[0]! & 0x7f) === 0x71,
    key,
    asc: end > 12 ? b[12]! : 0,
    ascq: end > 13 ? b[13]! : 0,
  };
  if (b[0]! & 0x80 && b.length >= 7) sense.info = BigInt(b.readUInt32BE(3));
  if (end >= 18) {
    const field = fieldPointerOf(b.subarray(15, 18), key);
    if (field) sense.field = field;
  }
  return sense;
}

function parseDescriptor(b: Buffer): ParsedSense {
  const key = b.length > 1 ? b[1]! & 0x0f : 0;
  const sense: ParsedSense = {
    format: 'descriptor',
    deferred: (b[0]! & 0x7f) === 0x73,
    key,
    asc: b.length > 2 ? b[2]! : 0,
    ascq: b.length > 3 ? b[3]! : 0,
  };
  const end = b.length > 7 ? Math.min(b.length, 8 + b[7]!) : b.length;
  let pos = 8;
  while (pos + 2 <= end) {
    const type = b[pos]!;
    const length = b[pos + 1]!;
    const body = b.subarray(pos + 2, Math.min(end, pos + 2 + length));
    if (type === 0x00 && body.length >= 10 && body[0]! & 0x80) sense.info = body.readBigUInt64BE(2);
    if (type === 0x02 && body.length >= 5) {
      const field = fieldPointerOf(body.subarray(2, 5), key);
      if (field) sense.field = field;
    }
    pos += 2 + length;
  }
  return sense;
}

export function parseSense(data: Buffer): ParsedSense {
  if (data.length === 0) throw new SenseFormatError('empty sense data');
  const code = data[0]! & 0x7f;
  if (code === 0x70 || code === 0x71) return parseFixed(data);
  if (code === 0x72 || code === 0x73) return parseDescriptor(data);
  throw new SenseFormatError(`unknown sense response code 0x${code.toString(16)}`);
}

/** For CHECK CONDITION without usable sense data: the caller still needs an answer. */
export function trySense(data: Buffer): ParsedSense | undefined {
  try {
    return parseSense(data);
  } catch (e) {
    if (e instanceof SenseFormatError) return undefined;
    throw e;
  }
}

export const NO_SENSE_DATA: Readonly<ParsedSense> = Object.freeze({ format: 'none', deferred: false, key: 0, asc: 0, ascq: 0 });
