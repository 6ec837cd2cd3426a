/**
 * The staged-pass CDBs, C4h PASS CONTROL and C5h STAGED WRITE (a write, or with UNMAP a
 * deallocation, staged into the open pass): their fields, and the
 * encoders a replication primary builds them with. The target's decoders are in
 * src/scsi/replica-commands/staged-pass-cdb-decoders.ts.
 */
import { CDB_LENGTH, PASS_ACTIONS, StagedPassOpcode, type PassActionCode } from './constants.js';
import { ChallengeFormatError } from './errors.js';

export interface PassControlCdb {
  action: PassActionCode;
  passId: bigint;
  control?: number;
}

export interface StagedWriteCdb {
  lba: bigint;
  blocks: number;
  /**
   * Stage a deallocation of the blocks instead of a write (no Data-Out): they read as
   * zeroes once the pass commits. Absent or false: a write.
   */
  unmap?: boolean;
  control?: number;
}

/** Byte 1 of STAGED WRITE: the UNMAP bit (where WRITE SAME has its own). Other bits are reserved. */
export const STAGED_WRITE_UNMAP = 0x08;

/** Byte offsets of the fields, also the field pointers of their errors. */
export const PassCdbField = {
  SERVICE_ACTION: 1,
  PASS_IDENTIFIER: 2,
  LBA: 2,
  TRANSFER_LENGTH: 10,
  RESERVED: 10,
  CONTROL: 15,
} as const;

const U64_MAX = (1n << 64n) - 1n;

function u64Field(value: bigint, what: string): bigint {
  if (value < 0n || value > U64_MAX) throw new ChallengeFormatError(`${what} must fit in 64 bits`);
  return value;
}

export function encodePassControlCdb(c: PassControlCdb): Buffer {
  if (!PASS_ACTIONS.includes(c.action)) throw new ChallengeFormatError(`unknown pass action ${c.action}`);
  const cdb = Buffer.alloc(CDB_LENGTH);
  cdb[0] = StagedPassOpcode.PASS_CONTROL;
  cdb[1] = c.action;
  cdb.writeBigUInt64BE(u64Field(c.passId, 'PASS IDENTIFIER'), PassCdbField.PASS_IDENTIFIER);
  cdb[PassCdbField.CONTROL] = c.control ?? 0;
  return cdb;
}

export function encodeStagedWriteCdb(c: StagedWriteCdb): Buffer {
  if (!Number.isInteger(c.blocks) || c.blocks < 0 || c.blocks > 0xffffffff) throw new ChallengeFormatError('TRANSFER LENGTH must fit in 32 bits');
  const cdb = Buffer.alloc(CDB_LENGTH);
  cdb[0] = StagedPassOpcode.STAGED_WRITE;
  if (c.unmap) cdb[1] = STAGED_WRITE_UNMAP;
  cdb.writeBigUInt64BE(u64Field(c.lba, 'LBA'), PassCdbField.LBA);
  cdb.writeUInt32BE(c.blocks, PassCdbField.TRANSFER_LENGTH);
  cdb[PassCdbField.CONTROL] = c.control ?? 0;
  return cdb;
}
