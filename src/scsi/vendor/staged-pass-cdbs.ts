/**
 * Encoders (primary side) and decoders (target side) of the staged-pass CDBs, C4h PASS
 * CONTROL and C5h STAGED WRITE. Decoders throw SenseError with the field pointer.
 */
import { invalidCdbField } from '../sense.js';
import { CDB_LENGTH, PassAction, StagedPassOpcode, type PassActionCode } from './constants.js';
import { ChallengeFormatError } from './errors.js';

export interface PassControlCdb {
  action: PassActionCode;
  passId: bigint;
  control?: number;
}

export interface StagedWriteCdb {
  lba: bigint;
  blocks: number;
  control?: number;
}

/** Byte offsets of the fields, also the field pointers of their errors. */
export const PassCdbField = {
  SERVICE_ACTION: 1,
  PASS_IDENTIFIER: 2,
  LBA: 2,
  TRANSFER_LENGTH: 10,
  RESERVED: 10,
  CONTROL: 15,
} as const;

const ACTIONS: readonly number[] = Object.values(PassAction);
const U64_MAX = (1n << 64n) - 1n;

function u64Field(value: bigint, what: string): bigint {
  if (value < 0n || value > U64_MAX) throw new ChallengeFormatError(`${what} must fit in 64 bits`);
  return value;
}

export function encodePassControlCdb(c: PassControlCdb): Buffer {
  if (!ACTIONS.includes(c.action)) throw new ChallengeFormatError(`unknown pass action ${c.action}`);
  const cdb = Buffer.alloc(CDB_LENGTH);
  cdb[0] = StagedPassOpcode.PASS_CONTROL;
  cdb[1] = c.action;
  cdb.writeBigUInt64BE(u64Field(c.passId, 'PASS IDENTIFIER'), PassCdbField.PASS_IDENTIFIER);
  cdb[PassCdbField.CONTROL] = c.control ?? 0;
  return cdb;
}

export function decodePassControlCdb(cdb: Buffer): PassControlCdb {
  if (cdb[1]! & 0xe0) throw invalidCdbField(PassCdbField.SERVICE_ACTION, 7);
  const action = cdb[1]! & 0x1f;
  if (!ACTIONS.includes(action)) throw invalidCdbField(PassCdbField.SERVICE_ACTION, 4);
  for (let i = PassCdbField.RESERVED; i < PassCdbField.CONTROL; i++) if (cdb[i] !== 0) throw invalidCdbField(i);
  return { action: action as PassActionCode, passId: cdb.readBigUInt64BE(PassCdbField.PASS_IDENTIFIER), control: cdb[PassCdbField.CONTROL]! };
}

export function encodeStagedWriteCdb(c: StagedWriteCdb): Buffer {
  if (!Number.isInteger(c.blocks) || c.blocks < 0 || c.blocks > 0xffffffff) throw new ChallengeFormatError('TRANSFER LENGTH must fit in 32 bits');
  const cdb = Buffer.alloc(CDB_LENGTH);
  cdb[0] = StagedPassOpcode.STAGED_WRITE;
  cdb.writeBigUInt64BE(u64Field(c.lba, 'LBA'), PassCdbField.LBA);
  cdb.writeUInt32BE(c.blocks, PassCdbField.TRANSFER_LENGTH);
  cdb[PassCdbField.CONTROL] = c.control ?? 0;
  return cdb;
}

export function decodeStagedWriteCdb(cdb: Buffer): StagedWriteCdb {
  if (cdb[1] !== 0) throw invalidCdbField(1);
  if (cdb[14] !== 0) throw invalidCdbField(14);
  return { lba: cdb.readBigUInt64BE(PassCdbField.LBA), blocks: cdb.readUInt32BE(PassCdbField.TRANSFER_LENGTH), control: cdb[PassCdbField.CONTROL]! };
}
