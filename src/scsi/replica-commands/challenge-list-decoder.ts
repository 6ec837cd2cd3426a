/**
 * Target-side decoder of the SEND CHALLENGE LIST parameter list: SenseError with a
 * parameter-list field pointer. Nonces are views of the Data-Out buffer (no copy), which
 * the list then keeps alive until answered.
 */
import { Asc, SenseError, SenseKey, invalidParamField } from '../sense.js';
import {
  ChallengeLimits,
  ENTRY_NONCE_BYTES,
  EntryField,
  LIST_ENTRY_BYTES,
  LIST_HEADER_BYTES,
  entryOffset,
  type ChallengeEntry,
} from '../../replica-protocol/index.js';

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
