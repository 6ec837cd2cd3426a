/**
 * Encoders (challenger side) and decoders (target side) of the three vendor CDBs. Decoders
 * check everything that does not depend on the LU and throw SenseError with the field
 * pointer the target reports; LU-dependent checks (range, extent limit) are the handler's.
 */
import { Asc, SenseError, SenseKey, invalidCdbField } from '../sense.js';
import {
  CDB_LENGTH,
  ChallengeOpcode,
  LIST_ENTRY_BYTES,
  LIST_HEADER_BYTES,
  MAX_PARAMETER_LIST_BYTES,
  SINGLE_MAX_BLOCKS,
  SINGLE_MAX_LBA,
  SINGLE_NONCE_BYTES,
  SUPPORTED_ALGORITHMS,
  SUPPORTED_MODES,
  type ChallengeAlgorithmCode,
  type ChallengeModeCode,
} from './constants.js';
import { ChallengeFormatError } from './errors.js';

/** CHALLENGE (C1h): one extent, 8-byte nonce in the CDB. */
export interface ChallengeCdb {
  algorithm: ChallengeAlgorithmCode;
  lba: bigint;
  blocks: number;
  nonce: Buffer;
  control?: number;
}

/** SEND CHALLENGE LIST (C2h). */
export interface SendChallengeListCdb {
  algorithm: ChallengeAlgorithmCode;
  mode: ChallengeModeCode;
  listId: number;
  parameterListLength: number;
  control?: number;
}

/** RECEIVE CHALLENGE ANSWERS (C3h). */
export interface ReceiveChallengeAnswersCdb {
  listId: number;
  allocationLength: number;
  control?: number;
}

/** Byte offsets of CDB fields, also the field pointers of their errors. */
export const CdbField = {
  FLAGS: 1,
  SINGLE_LBA: 1,
  SINGLE_EXTENT_LENGTH: 6,
  SINGLE_NONCE: 7,
  LIST_IDENTIFIER: 2,
  LENGTH: 6,
  RESERVED: 10,
  CONTROL: 15,
} as const;

function u32Field(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${what} must be a 32-bit unsigned integer`);
  return value;
}

function header(cdb: Buffer, opcode: number): void {
  if (cdb.length < CDB_LENGTH) throw new ChallengeFormatError(`CDB of ${cdb.length} bytes; need ${CDB_LENGTH}`);
  if (cdb[0] !== opcode) throw invalidCdbField(0);
}

function algorithmOf(cdb: Buffer): ChallengeAlgorithmCode {
  const algorithm = cdb[1]! >> 4;
  if (!SUPPORTED_ALGORITHMS.includes(algorithm)) throw invalidCdbField(CdbField.FLAGS, 7);
  return algorithm as ChallengeAlgorithmCode;
}

function rejectReserved(cdb: Buffer, from: number, to: number): void {
  for (let i = from; i < to; i++) if (cdb[i] !== 0) throw invalidCdbField(i);
}

export function encodeChallengeCdb(c: ChallengeCdb): Buffer {
  if (c.lba < 0n || c.lba > SINGLE_MAX_LBA) throw new RangeError('LBA must fit 36 bits');
  if (!Number.isInteger(c.blocks) || c.blocks < 1 || c.blocks > SINGLE_MAX_BLOCKS) throw new RangeError('EXTENT LENGTH must be 1-255');
  if (c.nonce.length !== SINGLE_NONCE_BYTES) throw new RangeError(`nonce must be ${SINGLE_NONCE_BYTES} bytes`);
  const b = Buffer.alloc(CDB_LENGTH);
  b[0] = ChallengeOpcode.CHALLENGE;
  b[1] = ((c.algorithm & 0x0f) << 4) | Number(c.lba >> 32n);
  b.writeUInt32BE(Number(c.lba & 0xffffffffn), 2);
  b[6] = c.blocks;
  c.nonce.copy(b, CdbField.SINGLE_NONCE);
  b[15] = c.control ?? 0;
  return b;
}

export function decodeChallengeCdb(cdb: Buffer): ChallengeCdb {
  header(cdb, ChallengeOpcode.CHALLENGE);
  const algorithm = algorithmOf(cdb);
  const lba = (BigInt(cdb[1]! & 0x0f) << 32n) | BigInt(cdb.readUInt32BE(2));
  const blocks = cdb[6]!;
  if (blocks === 0) throw invalidCdbField(CdbField.SINGLE_EXTENT_LENGTH);
  // A copy: the CDB buffer belongs to the transport.
  const nonce = Buffer.from(cdb.subarray(CdbField.SINGLE_NONCE, CdbField.SINGLE_NONCE + SINGLE_NONCE_BYTES));
  return { algorithm, lba, blocks, nonce, control: cdb[15]! };
}

export function encodeSendChallengeListCdb(c: SendChallengeListCdb): Buffer {
  const b = Buffer.alloc(CDB_LENGTH);
  b[0] = ChallengeOpcode.SEND_CHALLENGE_LIST;
  b[1] = ((c.algorithm & 0x0f) << 4) | (c.mode & 0x0f);
  b.writeUInt32BE(u32Field(c.listId, 'LIST IDENTIFIER'), 2);
  b.writeUInt32BE(u32Field(c.parameterListLength, 'PARAMETER LIST LENGTH'), 6);
  b[15] = c.control ?? 0;
  return b;
}

/** A PARAMETER LIST LENGTH that is not 8 + 32n (n ≥ 1): ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR. */
function parameterListLengthError(): SenseError {
  return new SenseError({
    key: SenseKey.ILLEGAL_REQUEST,
    asc: Asc.PARAMETER_LIST_LENGTH_ERROR,
    field: { inCdb: true, byte: CdbField.LENGTH },
  });
}

export function decodeSendChallengeListCdb(cdb: Buffer): SendChallengeListCdb {
  header(cdb, ChallengeOpcode.SEND_CHALLENGE_LIST);
  const algorithm = algorithmOf(cdb);
  const mode = cdb[1]! & 0x0f;
  if (!SUPPORTED_MODES.includes(mode)) throw invalidCdbField(CdbField.FLAGS, 3);
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

export function encodeReceiveChallengeAnswersCdb(c: ReceiveChallengeAnswersCdb): Buffer {
  const b = Buffer.alloc(CDB_LENGTH);
  b[0] = ChallengeOpcode.RECEIVE_CHALLENGE_ANSWERS;
  b.writeUInt32BE(u32Field(c.listId, 'LIST IDENTIFIER'), 2);
  b.writeUInt32BE(u32Field(c.allocationLength, 'ALLOCATION LENGTH'), 6);
  b[15] = c.control ?? 0;
  return b;
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
