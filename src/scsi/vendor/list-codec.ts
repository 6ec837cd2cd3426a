/**
 * The parameter list of SEND CHALLENGE LIST: an 8-byte header (ENTRY COUNT, reserved) and
 * 32-byte entries (LBA, EXTENT LENGTH, reserved, 16-byte NONCE or encrypted challenge).
 * The decoder throws SenseError with a parameter-list field pointer; nonces are views of
 * the Data-Out buffer (no copy), which the list then keeps alive until answered.
 */
import { Asc, SenseError, SenseKey, invalidParamField } from '../sense.js';
import { ChallengeLimits, ENTRY_NONCE_BYTES, LIST_ENTRY_BYTES, LIST_HEADER_BYTES } from './constants.js';

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

function lengthError(): SenseError {
  return new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
}

export function decodeChallengeList(data: Buffer, maxEntries: number = ChallengeLimits.MAX_ENTRIES_PER_LIST): ChallengeEntry[] {
  if (data.length < LIST_HEADER_BYTES + LIST_ENTRY_BYTES || (data.length - LIST_HEADER_BYTES) % LIST_ENTRY_BYTES !== 0) {
    throw lengthError();
  }
  const count = data.readUInt32BE(0);
  if (count !== (data.length - LIST_HEADER_BYTES) / LIST_ENTRY_BYTES || count > maxEntries) throw invalidParamField(0);
  for (let i = 4; i < LIST_HEADER_BYTES; i++) if (data[i] !== 0) throw invalidParamField(i);
  const entries: ChallengeEntry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = entryOffset(i);
    const blocks = data.readUInt32BE(at + EntryField.EXTENT_LENGTH);
    if (blocks === 0) throw invalidParamField(at + EntryField.EXTENT_LENGTH);
    for (let r = EntryField.RESERVED; r < EntryField.NONCE; r++) if (data[at + r] !== 0) throw invalidParamField(at + r);
    entries[i] = {
      lba: data.readBigUInt64BE(at + EntryField.LBA),
      blocks,
      nonce: data.subarray(at + EntryField.NONCE, at + EntryField.NONCE + ENTRY_NONCE_BYTES),
    };
  }
  return entries;
}
