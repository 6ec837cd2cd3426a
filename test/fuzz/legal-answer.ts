/**
 * What a target may answer to any well-framed SCSI command: a SAM status it is allowed
 * to return and, with CHECK CONDITION, sense data an initiator can parse.
 */
import type { CommandResult } from '../../src/initiator/index.js';

export const LEGAL_STATUSES: ReadonlySet<number> = new Set([
  0x00, // GOOD
  0x02, // CHECK CONDITION
  0x04, // CONDITION MET
  0x08, // BUSY
  0x18, // RESERVATION CONFLICT
  0x28, // TASK SET FULL
  0x30, // ACA ACTIVE
  0x40, // TASK ABORTED
]);

/** Undefined when the answer is legal, else what is wrong with it. */
export function illegalAnswer(result: CommandResult): string | undefined {
  if (!LEGAL_STATUSES.has(result.status)) return `status 0x${result.status.toString(16)} is not a SAM status`;
  if (result.status !== 0x02) return undefined;
  const sense = result.senseData;
  if (!sense || sense.length === 0) return 'CHECK CONDITION without sense data';
  const code = sense[0]! & 0x7f;
  if (code === 0x70 || code === 0x71) {
    if (sense.length < 14) return `fixed sense of ${sense.length} bytes has no ASC/ASCQ`;
    if (8 + sense[7]! > sense.length) return `fixed sense claims ${8 + sense[7]!} bytes, carries ${sense.length}`;
  } else if (code === 0x72 || code === 0x73) {
    if (sense.length < 8) return `descriptor sense of ${sense.length} bytes`;
    if ((sense[1]! & 0xf0) !== 0) return `descriptor sense byte 1 reserved bits set (0x${sense[1]!.toString(16)})`;
    if (8 + sense[7]! !== sense.length) return `descriptor sense claims ${8 + sense[7]!} bytes, carries ${sense.length}`;
  } else {
    return `sense response code 0x${code.toString(16)}`;
  }
  const key = result.sense?.key ?? -1;
  if (key < 0 || key > 0xf) return `sense key ${key}`;
  // ILLEGAL REQUEST with ASC 00h says nothing about what was illegal.
  if (key === 0x5 && (result.sense?.asc ?? 0) === 0) return 'ILLEGAL REQUEST with ASC 00h';
  return undefined;
}
