/** The OVERWRITE service action's parameter list (SBC-3 §5.30.2.2). */
import { Asc, SenseError, SenseKey, invalidParamField } from '../sense.js';
import { OVERWRITE_HEADER_BYTES } from './constants.js';

export interface OverwriteParameters {
  /** Invert the pattern between consecutive passes (the last pass writes it as given). */
  invert: boolean;
  /** OVERWRITE COUNT: passes over the whole medium, 1..31. */
  count: number;
  /** INITIALIZATION PATTERN: repeated from the start of every logical block. */
  pattern: Buffer;
}

export function parseOverwriteParameters(list: Buffer, blockSize: number): OverwriteParameters {
  if (list.length < OVERWRITE_HEADER_BYTES) {
    throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
  }
  const b0 = list[0]!;
  // TEST (bits 6-5): Tandem offers no test modes, so anything but 00b is refused.
  if (b0 & 0x60) throw invalidParamField(0, 6);
  const count = b0 & 0x1f;
  // OVERWRITE COUNT 0 is reserved.
  if (count === 0) throw invalidParamField(0, 4);
  if (list[1] !== 0) throw invalidParamField(1);
  const length = list.readUInt16BE(2);
  if (length === 0 || length > blockSize) throw invalidParamField(2);
  // A pattern longer than the data sent: the parameter list was cut short.
  if (OVERWRITE_HEADER_BYTES + length > list.length) {
    throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
  }
  return {
    invert: (b0 & 0x80) !== 0,
    count,
    pattern: Buffer.from(list.subarray(OVERWRITE_HEADER_BYTES, OVERWRITE_HEADER_BYTES + length)),
  };
}

/**
 * Whether pass `index` (0-based) of `count` writes the inverted pattern: with INVERT the
 * passes alternate and end on the pattern itself (an even count starts inverted).
 */
export function passIsInverted(p: Pick<OverwriteParameters, 'invert' | 'count'>, index: number): boolean {
  return p.invert && (p.count - 1 - index) % 2 === 1;
}
