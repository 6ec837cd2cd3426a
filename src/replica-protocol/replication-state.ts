/**
 * Vendor VPD page C1h, REPLICATION STATE: what a replicated LU tells its peer when they
 * meet (docs/vendor-commands.md §10): its role, its generation identifiers, how much it
 * changed since its table's base, whether it is stale, in split brain or an unfinished
 * resync target, and the device identity hosts see. Plain Tandem LUs do not have the page.
 */
import { ACCESS_STATE_CODES, type AccessStateCode } from './alua.js';
import { ChallengeFormatError } from './errors.js';

export const REPLICATION_STATE_VPD_PAGE = 0xc1;
export const REPLICATION_STATE_SIGNATURE = 'TANDEMRS';
/** Version 2 added the ALUA port (bytes 136-143) and the PR SEQUENCE (144-151); version 1 pages still decode. */
export const REPLICATION_STATE_VERSION = 2;
/** Bytes before the history list in version 1 and in version 2. */
const V1_FIXED_BYTES = 136;
const FIXED_BYTES = 152;
export const MAX_HISTORY_ENTRIES = 16;
export const SERIAL_BYTES = 32;
export const NAA_BYTES = 16;

export type ReplicaRole = 'primary' | 'backup';

export interface ReplicationStateReport {
  role: ReplicaRole;
  /** A primary that found its peer ahead: it accepts no host writes and sends nothing. */
  stale: boolean;
  splitBrain: boolean;
  /** A resynchronisation of this node from its peer started and has not finished. */
  resyncing: boolean;
  /** The volume UUID (lowercase, dashed). */
  volumeId: string;
  /** The volume's start-over count. */
  startOver: number;
  chunkSize: number;
  current: bigint;
  bitmap: bigint;
  /** When `current` began, ms since the epoch. */
  since: number;
  history: bigint[];
  /** Bytes of chunks this node's table marks (changes its peer may lack, relative to `bitmap`). */
  changedBytes: number;
  /** As a resync source: bytes still to send. */
  resyncBytesLeft: number;
  /** When this node last applied a write from its primary (ms since the epoch); 0: never. */
  newestWriteAt: number;
  /** Device identity presented to hosts; undefined until a backup adopts its primary's. */
  device: { naa: Buffer; serial: string } | undefined;
  /** This node's ALUA target port (its port group, relative port and access state); undefined from a version 1 page. */
  alua: PortAlua | undefined;
  /** Sequence of the persistent-reservation state this node holds (0: none); the higher one wins between the nodes. */
  prSequence: bigint;
}

export interface PortAlua {
  portGroup: number;
  relativePort: number;
  state: AccessStateCode;
}

export function encodeReplicationStateVpd(r: ReplicationStateReport): Buffer {
  if (r.history.length > MAX_HISTORY_ENTRIES) throw new RangeError(`at most ${MAX_HISTORY_ENTRIES} history entries`);
  const b = Buffer.alloc(FIXED_BYTES + 8 * r.history.length);
  b[1] = REPLICATION_STATE_VPD_PAGE;
  b.writeUInt16BE(b.length - 4, 2);
  b.write(REPLICATION_STATE_SIGNATURE, 4, 'ascii');
  b[12] = REPLICATION_STATE_VERSION;
  b[13] = r.role === 'primary' ? 1 : 0;
  b[14] = (r.stale ? 1 : 0) | (r.splitBrain ? 2 : 0) | (r.resyncing ? 4 : 0);
  b[15] = r.history.length;
  uuidBytes(r.volumeId).copy(b, 16);
  b.writeUInt32BE(r.startOver, 32);
  b.writeUInt32BE(r.chunkSize, 36);
  b.writeBigUInt64BE(r.current, 40);
  b.writeBigUInt64BE(r.bitmap, 48);
  b.writeBigUInt64BE(BigInt(r.since), 56);
  b.writeBigUInt64BE(BigInt(r.changedBytes), 64);
  b.writeBigUInt64BE(BigInt(r.resyncBytesLeft), 72);
  b.writeBigUInt64BE(BigInt(r.newestWriteAt), 80);
  if (r.device) {
    if (r.device.naa.length !== NAA_BYTES) throw new RangeError('NAA designator must be 16 bytes');
    r.device.naa.copy(b, 88);
    b.write(r.device.serial.padEnd(SERIAL_BYTES, ' ').slice(0, SERIAL_BYTES), 104, 'ascii');
  }
  if (r.alua) {
    if (r.alua.portGroup < 1 || r.alua.portGroup > 0xffff || r.alua.relativePort < 1 || r.alua.relativePort > 0xffff) throw new RangeError('port group and relative port are 1-65535');
    b.writeUInt16BE(r.alua.portGroup, 136);
    b.writeUInt16BE(r.alua.relativePort, 138);
    b[140] = r.alua.state;
  }
  b.writeBigUInt64BE(r.prSequence, 144);
  r.history.forEach((g, i) => b.writeBigUInt64BE(g, FIXED_BYTES + 8 * i));
  return b;
}

/** Decodes the page; throws ChallengeFormatError when it is not Tandem's replication state page. */
export function decodeReplicationStateVpd(b: Buffer): ReplicationStateReport {
  if (b.length < V1_FIXED_BYTES || b[1] !== REPLICATION_STATE_VPD_PAGE) throw new ChallengeFormatError('not a replication state VPD page');
  if (b.toString('ascii', 4, 12) !== REPLICATION_STATE_SIGNATURE) throw new ChallengeFormatError('replication state page without the Tandem signature');
  const version = b[12]!;
  if (version !== 1 && version !== REPLICATION_STATE_VERSION) throw new ChallengeFormatError(`replication state page version ${version} (expected 1 or ${REPLICATION_STATE_VERSION})`);
  const fixed = version === 1 ? V1_FIXED_BYTES : FIXED_BYTES;
  const count = b[15]!;
  if (count > MAX_HISTORY_ENTRIES || b.length < fixed + 8 * count) throw new ChallengeFormatError('replication state page history truncated');
  const naa = Buffer.from(b.subarray(88, 104));
  const serial = b.toString('ascii', 104, 136).trimEnd();
  const safe = (at: number) => {
    const v = b.readBigUInt64BE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ChallengeFormatError('replication state page value out of range');
    return Number(v);
  };
  return {
    role: b[13] === 1 ? 'primary' : 'backup',
    stale: (b[14]! & 1) !== 0,
    splitBrain: (b[14]! & 2) !== 0,
    resyncing: (b[14]! & 4) !== 0,
    volumeId: uuidText(b.subarray(16, 32)),
    startOver: b.readUInt32BE(32),
    chunkSize: b.readUInt32BE(36),
    current: b.readBigUInt64BE(40),
    bitmap: b.readBigUInt64BE(48),
    since: safe(56),
    changedBytes: safe(64),
    resyncBytesLeft: safe(72),
    newestWriteAt: safe(80),
    device: naa.every((x) => x === 0) ? undefined : { naa, serial },
    alua: version === 1 ? undefined : decodePortAlua(b),
    prSequence: version === 1 ? 0n : b.readBigUInt64BE(144),
    history: Array.from({ length: count }, (_, i) => b.readBigUInt64BE(fixed + 8 * i)),
  };
}

/** Bytes 136-140 of a version 2 page: no port group (0) means the node reports no ALUA port. */
function decodePortAlua(b: Buffer): PortAlua | undefined {
  const portGroup = b.readUInt16BE(136);
  if (portGroup === 0) return undefined;
  const relativePort = b.readUInt16BE(138);
  const state = b[140]! & 0x0f;
  if (relativePort === 0 || !ACCESS_STATE_CODES.includes(state)) throw new ChallengeFormatError('replication state page with an invalid ALUA port');
  return { portGroup, relativePort, state: state as AccessStateCode };
}

export function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

export function uuidText(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
