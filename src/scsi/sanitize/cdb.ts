/** SANITIZE CDB fields (SBC-3 §5.30.1), validated with a field pointer on every error. */
import { invalidCdbField } from '../sense.js';
import { OVERWRITE_HEADER_BYTES, SanitizeAction } from './constants.js';

export interface SanitizeCdb {
  /** Return status once the CDB and parameter list are validated, not when the operation ends. */
  immed: boolean;
  /** Allow unrestricted sanitize exit: EXIT FAILURE MODE may end a failure of this operation. */
  ause: boolean;
  serviceAction: number;
  parameterListLength: number;
}

export function parseSanitizeCdb(cdb: Buffer, blockSize: number): SanitizeCdb {
  const b1 = cdb[1]!;
  // Bit 6 is reserved in SBC-3 (SBC-4's ZNR concerns zoned devices only, and we are not one).
  if (b1 & 0x40) throw invalidCdbField(1, 6);
  for (let i = 2; i <= 6; i++) if (cdb[i] !== 0) throw invalidCdbField(i);
  const serviceAction = b1 & 0x1f;
  const parameterListLength = cdb.readUInt16BE(7);
  // SBC-3 Table 94: OVERWRITE carries a header and 1..block-length pattern bytes; the others nothing.
  const lengthOk =
    serviceAction === SanitizeAction.OVERWRITE
      ? parameterListLength > OVERWRITE_HEADER_BYTES && parameterListLength <= blockSize + OVERWRITE_HEADER_BYTES
      : parameterListLength === 0;
  if (!lengthOk) throw invalidCdbField(7);
  return { immed: (b1 & 0x80) !== 0, ause: (b1 & 0x20) !== 0, serviceAction, parameterListLength };
}
