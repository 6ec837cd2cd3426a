/** Target-side decoders of C4h PASS CONTROL and C5h STAGED WRITE: SenseError with the field pointer. */
import { invalidCdbField } from '../sense.js';
import { PASS_ACTIONS, PassCdbField, STAGED_WRITE_UNMAP, type PassActionCode, type PassControlCdb, type StagedWriteCdb } from '../../replica-protocol/index.js';

export function decodePassControlCdb(cdb: Buffer): PassControlCdb {
  if (cdb[1]! & 0xe0) throw invalidCdbField(PassCdbField.SERVICE_ACTION, 7);
  const action = cdb[1]! & 0x1f;
  if (!PASS_ACTIONS.includes(action)) throw invalidCdbField(PassCdbField.SERVICE_ACTION, 4);
  for (let i = PassCdbField.RESERVED; i < PassCdbField.CONTROL; i++) if (cdb[i] !== 0) throw invalidCdbField(i);
  return { action: action as PassActionCode, passId: cdb.readBigUInt64BE(PassCdbField.PASS_IDENTIFIER), control: cdb[PassCdbField.CONTROL]! };
}

export function decodeStagedWriteCdb(cdb: Buffer): StagedWriteCdb {
  // Byte 1: only the UNMAP bit is defined (a backup from before it refused any non-zero byte 1).
  if (cdb[1]! & ~STAGED_WRITE_UNMAP) throw invalidCdbField(1);
  if (cdb[14] !== 0) throw invalidCdbField(14);
  const unmap = (cdb[1]! & STAGED_WRITE_UNMAP) !== 0;
  return {
    lba: cdb.readBigUInt64BE(PassCdbField.LBA),
    blocks: cdb.readUInt32BE(PassCdbField.TRANSFER_LENGTH),
    ...(unmap ? { unmap } : {}),
    control: cdb[PassCdbField.CONTROL]!,
  };
}
