/**
 * The parameter list of SEND CHALLENGE LIST: an 8-byte header (ENTRY COUNT, reserved) and
 * 32-byte entries (LBA, EXTENT LENGTH, reserved, 16-byte NONCE or encrypted challenge).
 * The target's decoder is src/scsi/replica-commands/challenge-list-decoder.ts.
 */
import { ENTRY_NONCE_BYTES, LIST_ENTRY_BYTES, LIST_HEADER_BYTES } from './constants.js';

export interface ChallengeEntry {
  lba: bigint;
  blocks: number;
  /** HMAC mode: the nonce R. Reversible mode: E = Enc(D_P, R). Always 16 bytes. */
  nonce: Buffer;
}

/** Offsets inside an entry, relative to its start (8 + 32 × index). */
export const EntryField = { LBA: 0, EXTENT_LENGTH: 8, RESERVED: 12, NONCE: 16 } as const;

export function entryOffset(index: number): number {
  return LIST_HEADER_BYTES + index * LIST_ENTRY_BYTES;
}

export function encodeChallengeList(entries: readonly ChallengeEntry[]): Buffer {
  const b = Buffer.alloc(LIST_HEADER_BYTES + entries.length * LIST_ENTRY_BYTES);
  b.writeUInt32BE(entries.length, 0);
  entries.forEach((e, i) => {
    if (e.nonce.length !== ENTRY_NONCE_BYTES) throw new RangeError(`entry ${i}: nonce must be ${ENTRY_NONCE_BYTES} bytes`);
    const at = entryOffset(i);
    b.writeBigUInt64BE(e.lba, at + EntryField.LBA);
    b.writeUInt32BE(e.blocks, at + EntryField.EXTENT_LENGTH);
    e.nonce.copy(b, at + EntryField.NONCE);
  });
  return b;
}
