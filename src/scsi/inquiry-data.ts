/** Standard INQUIRY data (SPC-4 §6.6.2). */
import type { LogicalUnit } from './logical-unit.js';

export const VENDOR_ID = 'TANDEM';
export const PRODUCT_ID = 'VIRTUAL-DISK';
export const PRODUCT_REVISION = '0001';

/** Version descriptors (SPC-4 Table 139): SAM-5, SPC-4, SBC-3, iSCSI (no version claimed). */
const VERSION_DESCRIPTORS = [0x00a0, 0x0460, 0x04c0, 0x0960];

const STANDARD_LENGTH = 74;

export function asciiField(text: string, length: number): Buffer {
  const b = Buffer.alloc(length, 0x20);
  b.write(text.slice(0, length), 'ascii');
  return b;
}

export interface StandardInquiryOptions {
  /** Third-party copy (EXTENDED COPY) is implemented. */
  thirdPartyCopy: boolean;
}

/** TPGS (SPC-4 §6.6.2): implicit asymmetric access only; the roles, not SET TARGET PORT GROUPS, move the states. */
export const TPGS_IMPLICIT = 0x10;

export function standardInquiry(lu: LogicalUnit, opts: StandardInquiryOptions): Buffer {
  const b = Buffer.alloc(STANDARD_LENGTH);
  b[0] = 0x00; // connected, direct-access block device
  b[1] = lu.removable ? 0x80 : 0x00;
  b[2] = 0x06; // SPC-4
  b[3] = 0x10 | 0x02; // HISUP, response data format 2
  b[4] = STANDARD_LENGTH - 5;
  // A replicated LU is reached through both nodes of its pair: ALUA tells hosts which port serves it.
  b[5] = (opts.thirdPartyCopy ? 0x08 : 0x00) | (lu.replication ? TPGS_IMPLICIT : 0x00);
  b[6] = 0x00;
  b[7] = 0x02; // CMDQUE
  asciiField(VENDOR_ID, 8).copy(b, 8);
  asciiField(PRODUCT_ID, 16).copy(b, 16);
  asciiField(PRODUCT_REVISION, 4).copy(b, 32);
  VERSION_DESCRIPTORS.forEach((v, i) => b.writeUInt16BE(v, 58 + 2 * i));
  return b;
}

/** INQUIRY data for a LUN with no logical unit behind it: qualifier 011b, type 1Fh. */
export function absentLunInquiry(): Buffer {
  const b = Buffer.alloc(36);
  b[0] = 0x7f;
  b[2] = 0x06;
  b[3] = 0x12;
  b[4] = 31;
  asciiField(VENDOR_ID, 8).copy(b, 8);
  asciiField(PRODUCT_ID, 16).copy(b, 16);
  asciiField(PRODUCT_REVISION, 4).copy(b, 32);
  return b;
}
