/**
 * C7h REPLICATION CONTROL (docs/vendor-commands.md §10): what a primary tells the backup
 * it resynchronises, through the same replicator session that carries the data. Changes
 * the LU's replication state, so the backup's write guard applies: only the replicator.
 *
 * CDB (16 bytes): 0 opcode C7h | 1 bits 4-0 ACTION | 2-9 reserved | 10-13 PARAMETER LIST
 * LENGTH | 14 reserved | 15 control.
 * - BEGIN RESYNC (01h), parameters: 8 bytes, the source's current generation. The backup
 *   records that it is being resynchronised (it refuses a plain promote until adopted).
 * - ADOPT (02h), parameters: the source's history and identity (below). The backup now
 *   holds the source's image: it takes its history, volume and device identity, and
 *   forgets its own changes.
 * - PROMOTE (03h), parameters: 8 bytes, the source's current generation. Switchover: the
 *   backup, in sync with that generation, becomes the primary.
 * - PR STATE (04h), parameters: the sender's persistent-reservation state (pr-state.ts). Either
 *   node sends it to the other (from the replicator IQN), whatever the roles.
 * - POINT (05h), parameters: a recovery point (point-marker.ts). The backup takes it here, in
 *   the order of the replication stream.
 *
 * ADOPT parameters: 0-15 volume UUID | 16-19 start-over count | 20 history count N |
 * 21-23 reserved | 24-31 current generation | 32-39 current since (ms) | 40-55 NAA
 * designator | 56-87 serial (ASCII, space padded) | 88.. N × 8 history, newest first.
 */
import { ChallengeFormatError } from './errors.js';
import { MAX_HISTORY_ENTRIES, NAA_BYTES, SERIAL_BYTES, uuidBytes, uuidText } from './replication-state.js';

export const REPLICATION_CONTROL_OPCODE = 0xc7;
export const ReplicationAction = { BEGIN_RESYNC: 1, ADOPT: 2, PROMOTE: 3, PR_STATE: 4, POINT: 5 } as const;
export type ReplicationActionCode = (typeof ReplicationAction)[keyof typeof ReplicationAction];
export const REPLICATION_ACTIONS: readonly number[] = Object.values(ReplicationAction);
const ADOPT_FIXED_BYTES = 88;
export const GENERATION_PARAMETER_BYTES = 8;
export const MAX_REPLICATION_CONTROL_PARAMETERS = ADOPT_FIXED_BYTES + 8 * MAX_HISTORY_ENTRIES;

export interface AdoptParameters {
  volumeId: string;
  startOver: number;
  current: bigint;
  since: number;
  history: bigint[];
  device: { naa: Buffer; serial: string };
}

export function encodeReplicationControlCdb(action: ReplicationActionCode, parameterLength: number): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = REPLICATION_CONTROL_OPCODE;
  cdb[1] = action & 0x1f;
  cdb.writeUInt32BE(parameterLength, 10);
  return cdb;
}

export function encodeGenerationParameter(generation: bigint): Buffer {
  const b = Buffer.alloc(GENERATION_PARAMETER_BYTES);
  b.writeBigUInt64BE(generation);
  return b;
}

export function encodeAdoptParameters(p: AdoptParameters): Buffer {
  if (p.history.length > MAX_HISTORY_ENTRIES) throw new RangeError(`at most ${MAX_HISTORY_ENTRIES} history entries`);
  if (p.device.naa.length !== NAA_BYTES) throw new RangeError('NAA designator must be 16 bytes');
  const b = Buffer.alloc(ADOPT_FIXED_BYTES + 8 * p.history.length);
  uuidBytes(p.volumeId).copy(b, 0);
  b.writeUInt32BE(p.startOver, 16);
  b[20] = p.history.length;
  b.writeBigUInt64BE(p.current, 24);
  b.writeBigUInt64BE(BigInt(p.since), 32);
  p.device.naa.copy(b, 40);
  b.write(p.device.serial.padEnd(SERIAL_BYTES, ' ').slice(0, SERIAL_BYTES), 56, 'ascii');
  p.history.forEach((g, i) => b.writeBigUInt64BE(g, ADOPT_FIXED_BYTES + 8 * i));
  return b;
}

/** Throws ChallengeFormatError naming the byte at fault (the target maps it to a field pointer). */
export function decodeAdoptParameters(b: Buffer): AdoptParameters {
  if (b.length < ADOPT_FIXED_BYTES) throw new AdoptFormatError(`ADOPT parameters of ${b.length} bytes (at least ${ADOPT_FIXED_BYTES})`, -1);
  const count = b[20]!;
  if (count > MAX_HISTORY_ENTRIES) throw new AdoptFormatError(`${count} history entries (at most ${MAX_HISTORY_ENTRIES})`, 20);
  if (b.length !== ADOPT_FIXED_BYTES + 8 * count) throw new AdoptFormatError(`ADOPT parameters of ${b.length} bytes for ${count} history entries`, -1);
  const current = b.readBigUInt64BE(24);
  if (current === 0n) throw new AdoptFormatError('no current generation', 24);
  const since = b.readBigUInt64BE(32);
  if (since > BigInt(Number.MAX_SAFE_INTEGER)) throw new AdoptFormatError('since out of range', 32);
  // The raw bytes are checked: 'ascii' decoding clears bit 7, so 80h-FFh would pass as letters.
  const raw = b.subarray(56, 56 + SERIAL_BYTES);
  const serial = raw.toString('ascii').trimEnd();
  if (serial === '' || raw.some((x) => x < 0x20 || x > 0x7e)) throw new AdoptFormatError('serial must be printable ASCII', 56);
  return {
    volumeId: uuidText(b.subarray(0, 16)),
    startOver: b.readUInt32BE(16),
    current,
    since: Number(since),
    history: Array.from({ length: count }, (_, i) => b.readBigUInt64BE(ADOPT_FIXED_BYTES + 8 * i)),
    device: { naa: Buffer.from(b.subarray(40, 56)), serial },
  };
}

/** A malformed ADOPT parameter list; `byte` is the offending byte (-1: the list length). */
export class AdoptFormatError extends ChallengeFormatError {
  constructor(
    message: string,
    readonly byte: number,
  ) {
    super(message);
    this.name = 'AdoptFormatError';
  }
}
