/**
 * Target-side decoder of the SEND CHALLENGE LIST parameter list: SenseError with a
 * parameter-list field pointer. Nonces are views of the Data-Out buffer (no copy), which
 * the list then keeps alive until answered. The LU-dependent checks (extent limit, capacity)
 * run here too, entry by entry, so that the first bad entry is the one reported
 * (docs/vendor-commands.md §6), whatever its error.
 */
import { Asc, SenseError, SenseKey, invalidParamField, lbaOutOfRange } from '../sense.js';
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

/** What an entry is checked against besides its own fields: the LU's limits. */
export interface ChallengeListLimits {
  maxEntries?: number;
  /** MAXIMUM EXTENT LENGTH of the LU (blocks); default: no limit. */
  maxExtentBlocks?: number;
  /** Whether the extent lies within the LU; default: always. */
  fits?: (lba: bigint, blocks: number) => boolean;
}

export function decodeChallengeList(data: Buffer, limits: ChallengeListLimits = {}): ChallengeEntry[] {
  const { maxEntries = ChallengeLimits.MAX_ENTRIES_PER_LIST, maxExtentBlocks = Infinity, fits } = limits;
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
    if (blocks === 0 || blocks > maxExtentBlocks) throw invalidParamField(at + EntryField.EXTENT_LENGTH);
    for (let r = EntryField.RESERVED; r < EntryField.NONCE; r++) if (data[at + r] !== 0) throw invalidParamField(at + r);
    const lba = data.readBigUInt64BE(at + EntryField.LBA);
    if (fits && !fits(lba, blocks)) throw lbaOutOfRange({ inCdb: false, byte: at + EntryField.LBA });
    entries[i] = { lba, blocks, nonce: data.subarray(at + EntryField.NONCE, at + EntryField.NONCE + ENTRY_NONCE_BYTES) };
  }
  return entries;
}
