/**
 * iSCSI text-key data segments (RFC 7143 §6.1): a sequence of `key=value` strings, each
 * terminated by one NUL byte, UTF-8 encoded. Used by Login and Text Request/Response PDUs.
 */

export const MAX_KEY_NAME_BYTES = 63;
/** Default limit for a simple value (RFC 7143 §6.1), excluding the terminator. */
export const MAX_VALUE_BYTES = 255;
/** Limit for values that may carry large binary data (CHAP challenges/responses). */
export const MAX_LONG_VALUE_BYTES = 8192;

/** Keys whose values may exceed 255 bytes: binary CHAP material and address lists. */
const LONG_VALUE_KEYS: ReadonlySet<string> = new Set(['CHAP_C', 'CHAP_R', 'CHAP_N', 'TargetAddress', 'SendTargets']);

export type TextKeyErrorCode =
  | 'not-terminated'
  | 'missing-separator'
  | 'empty-key'
  | 'invalid-key-char'
  | 'key-too-long'
  | 'value-too-long'
  | 'invalid-utf8'
  | 'invalid-value-char'
  | 'duplicate-key';

export class TextKeyError extends Error {
  constructor(
    readonly code: TextKeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TextKeyError';
  }
}

export interface TextPair {
  key: string;
  value: string;
}

export interface ParseOptions {
  /** SendTargets responses legitimately repeat TargetName/TargetAddress; requests never do. */
  allowDuplicates?: boolean;
}

/** RFC 7143 §6.1 key-name characters: letters, digits, '.', '-', '+', '@', '_' (plus '#' in X# names). */
const KEY_NAME_PATTERN = /^[A-Za-z0-9.\-+@_#]+$/;

export function maxValueBytesFor(key: string): number {
  return LONG_VALUE_KEYS.has(key) ? MAX_LONG_VALUE_BYTES : MAX_VALUE_BYTES;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new TextKeyError('invalid-utf8', `${what} is not valid UTF-8`);
  }
}

function checkKeyName(key: string, keyByteLength: number): void {
  if (keyByteLength === 0) throw new TextKeyError('empty-key', 'empty key name');
  if (keyByteLength > MAX_KEY_NAME_BYTES) {
    throw new TextKeyError('key-too-long', `key name of ${keyByteLength} bytes exceeds ${MAX_KEY_NAME_BYTES}`);
  }
  if (!KEY_NAME_PATTERN.test(key)) throw new TextKeyError('invalid-key-char', `invalid character in key name ${JSON.stringify(key)}`);
}

function checkValueLength(key: string, valueByteLength: number): void {
  const limit = maxValueBytesFor(key);
  if (valueByteLength > limit) {
    throw new TextKeyError('value-too-long', `value of ${key} is ${valueByteLength} bytes, limit ${limit}`);
  }
}

/**
 * Parse a data segment into ordered pairs. Empty strings between terminators (stray
 * padding NULs some initiators send) are skipped; an unterminated tail is an error.
 */
export function parseTextKeys(data: Uint8Array, options: ParseOptions = {}): TextPair[] {
  const pairs: TextPair[] = [];
  const seen = new Set<string>();
  let start = 0;
  while (start < data.length) {
    const end = data.indexOf(0, start);
    if (end < 0) throw new TextKeyError('not-terminated', `key=value at offset ${start} is not NUL-terminated`);
    if (end === start) {
      start = end + 1;
      continue;
    }
    const eq = data.indexOf(0x3d /* '=' */, start);
    if (eq < 0 || eq > end) throw new TextKeyError('missing-separator', `no '=' in key=value at offset ${start}`);
    const key = decodeUtf8(data.subarray(start, eq), 'key name');
    checkKeyName(key, eq - start);
    checkValueLength(key, end - eq - 1);
    const value = decodeUtf8(data.subarray(eq + 1, end), `value of ${key}`);
    if (!options.allowDuplicates) {
      if (seen.has(key)) throw new TextKeyError('duplicate-key', `key ${key} appears more than once`);
      seen.add(key);
    }
    pairs.push({ key, value });
    start = end + 1;
  }
  return pairs;
}

/** Encode pairs as a data segment; validates like the parser so we never send what we would refuse. */
export function encodeTextKeys(pairs: readonly TextPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const { key, value } of pairs) {
    const keyBytes = Buffer.from(key, 'utf8');
    checkKeyName(key, keyBytes.length);
    const valueBytes = Buffer.from(value, 'utf8');
    if (valueBytes.includes(0)) throw new TextKeyError('invalid-value-char', `value of ${key} contains NUL`);
    checkValueLength(key, valueBytes.length);
    parts.push(keyBytes, Buffer.from('='), valueBytes, Buffer.alloc(1));
  }
  return Buffer.concat(parts);
}

/** First value of a key, for callers that parsed with duplicates allowed. */
export function findValue(pairs: readonly TextPair[], key: string): string | undefined {
  return pairs.find((p) => p.key === key)?.value;
}
