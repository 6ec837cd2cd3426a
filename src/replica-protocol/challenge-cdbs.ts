/**
 * The three challenge CDBs (C1h, C2h, C3h): their fields, and the encoders the challenger
 * (initiator, CLI, verify, replication) builds them with. The target's decoders are in
 * src/scsi/replica-commands/challenge-cdb-decoders.ts.
 */
import {
  CDB_LENGTH,
  ChallengeOpcode,
  SINGLE_MAX_BLOCKS,
  SINGLE_MAX_LBA,
  SINGLE_NONCE_BYTES,
  type ChallengeAlgorithmCode,
  type ChallengeModeCode,
} from './constants.js';

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

export function encodeSendChallengeListCdb(c: SendChallengeListCdb): Buffer {
  const b = Buffer.alloc(CDB_LENGTH);
  b[0] = ChallengeOpcode.SEND_CHALLENGE_LIST;
  b[1] = ((c.algorithm & 0x0f) << 4) | (c.mode & 0x0f);
  b.writeUInt32BE(u32Field(c.listId, 'LIST IDENTIFIER'), 2);
  b.writeUInt32BE(u32Field(c.parameterListLength, 'PARAMETER LIST LENGTH'), 6);
  b[15] = c.control ?? 0;
  return b;
}

export function encodeReceiveChallengeAnswersCdb(c: ReceiveChallengeAnswersCdb): Buffer {
  const b = Buffer.alloc(CDB_LENGTH);
  b[0] = ChallengeOpcode.RECEIVE_CHALLENGE_ANSWERS;
  b.writeUInt32BE(u32Field(c.listId, 'LIST IDENTIFIER'), 2);
  b.writeUInt32BE(u32Field(c.allocationLength, 'ALLOCATION LENGTH'), 6);
  b[15] = c.control ?? 0;
  return b;
}
