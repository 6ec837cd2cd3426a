/**
 * Target-side decoders of the three challenge CDBs: they check everything that does not
 * depend on the LU and throw SenseError with the field pointer the target reports;
 * LU-dependent checks (range, extent limit) are the handler's, except the algorithms the
 * LU's store can hash, which the handler passes in so that the ALGORITHM field is checked
 * first, like every other CDB field.
 */
import { Asc, SenseError, SenseKey, invalidCdbField } from '../sense.js';
import {
  CDB_LENGTH,
  CdbField,
  ChallengeFormatError,
  ChallengeOpcode,
  DEFINED_ALGORITHMS,
  LIST_ENTRY_BYTES,
  LIST_HEADER_BYTES,
  MAX_PARAMETER_LIST_BYTES,
  SINGLE_NONCE_BYTES,
  SUPPORTED_MODES,
  modesOf,
  type ChallengeAlgorithmCode,
  type ChallengeCdb,
  type ChallengeModeCode,
  type ReceiveChallengeAnswersCdb,
  type SendChallengeListCdb,
} from '../../replica-protocol/index.js';

function header(cdb: Buffer, opcode: number): void {
  if (cdb.length < CDB_LENGTH) throw new ChallengeFormatError(`CDB of ${cdb.length} bytes; need ${CDB_LENGTH}`);
  if (cdb[0] !== opcode) throw invalidCdbField(0);
}

/** `supported`: the algorithms the LU advertises in C0h; any other is INVALID FIELD IN CDB. */
function algorithmOf(cdb: Buffer, supported: readonly number[]): ChallengeAlgorithmCode {
  const algorithm = cdb[1]! >> 4;
  if (!supported.includes(algorithm)) throw invalidCdbField(CdbField.FLAGS, 7);
  return algorithm as ChallengeAlgorithmCode;
}

function rejectReserved(cdb: Buffer, from: number, to: number): void {
  for (let i = from; i < to; i++) if (cdb[i] !== 0) throw invalidCdbField(i);
}

export function decodeChallengeCdb(cdb: Buffer, supported: readonly number[] = DEFINED_ALGORITHMS): ChallengeCdb {
  header(cdb, ChallengeOpcode.CHALLENGE);
  const algorithm = algorithmOf(cdb, supported);
  const lba = (BigInt(cdb[1]! & 0x0f) << 32n) | BigInt(cdb.readUInt32BE(2));
  const blocks = cdb[6]!;
  if (blocks === 0) throw invalidCdbField(CdbField.SINGLE_EXTENT_LENGTH);
  // A copy: the CDB buffer belongs to the transport.
  const nonce = Buffer.from(cdb.subarray(CdbField.SINGLE_NONCE, CdbField.SINGLE_NONCE + SINGLE_NONCE_BYTES));
  return { algorithm, lba, blocks, nonce, control: cdb[15]! };
}

/** A PARAMETER LIST LENGTH that is not 8 + 32n (n ≥ 1): ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR. */
function parameterListLengthError(): SenseError {
  return new SenseError({
    key: SenseKey.ILLEGAL_REQUEST,
    asc: Asc.PARAMETER_LIST_LENGTH_ERROR,
    field: { inCdb: true, byte: CdbField.LENGTH },
  });
}

export function decodeSendChallengeListCdb(cdb: Buffer, supported: readonly number[] = DEFINED_ALGORITHMS): SendChallengeListCdb {
  header(cdb, ChallengeOpcode.SEND_CHALLENGE_LIST);
  const algorithm = algorithmOf(cdb, supported);
  const mode = cdb[1]! & 0x0f;
  // Reversible mode exists for SHA-256 only (it keys AES-256 with D): refused at the MODE field.
  if (!SUPPORTED_MODES.includes(mode) || !modesOf(algorithm).includes(mode)) throw invalidCdbField(CdbField.FLAGS, 3);
  const listId = cdb.readUInt32BE(CdbField.LIST_IDENTIFIER);
  const parameterListLength = cdb.readUInt32BE(CdbField.LENGTH);
  // Checked before any Data-Out moves, so the buffer the transport allocates is ours to bound.
  if (parameterListLength > MAX_PARAMETER_LIST_BYTES) throw invalidCdbField(CdbField.LENGTH);
  if (parameterListLength < LIST_HEADER_BYTES + LIST_ENTRY_BYTES || (parameterListLength - LIST_HEADER_BYTES) % LIST_ENTRY_BYTES !== 0) {
    throw parameterListLengthError();
  }
  rejectReserved(cdb, CdbField.RESERVED, CdbField.CONTROL);
  return { algorithm, mode: mode as ChallengeModeCode, listId, parameterListLength, control: cdb[15]! };
}

export function decodeReceiveChallengeAnswersCdb(cdb: Buffer): ReceiveChallengeAnswersCdb {
  header(cdb, ChallengeOpcode.RECEIVE_CHALLENGE_ANSWERS);
  if (cdb[1] !== 0) throw invalidCdbField(CdbField.FLAGS);
  rejectReserved(cdb, CdbField.RESERVED, CdbField.CONTROL);
  return {
    listId: cdb.readUInt32BE(CdbField.LIST_IDENTIFIER),
    allocationLength: cdb.readUInt32BE(CdbField.LENGTH),
    control: cdb[15]!,
  };
}
