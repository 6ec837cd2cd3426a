/**
 * The replica's volume tag lives in the backup's persistent-reservation state (APTPL), a
 * vendor-neutral place the backup already persists in its own metaDir, outside the user's
 * LUN data. A tag is a PR registration key: "TV" then 48 bits of the primary volume's UUID.
 * Registration alone restricts nobody, so ordinary initiators are unaffected.
 */
import type { VolumeTag } from './replica-link.js';

const TAG_MAGIC = 0x5456n; // "TV"
const TAG_BITS = 48n;
const TAG_MASK = (1n << TAG_BITS) - 1n;

export const PrOut = { REGISTER_AND_IGNORE_EXISTING_KEY: 0x06, PREEMPT: 0x04 } as const;
const PR_OUT_OPCODE = 0x5f;
const PR_IN_OPCODE = 0x5e;
const READ_KEYS = 0x00;
const PR_OUT_PARAMETERS = 24;
const APTPL = 0x01;

/** The 48-bit tag of a volume UUID (its first 6 bytes, random in a v4 UUID). */
export function tagOfVolume(volumeId: string): VolumeTag {
  const hex = volumeId.replace(/-/g, '').slice(0, 12);
  if (!/^[0-9a-f]{12}$/i.test(hex)) throw new RangeError(`not a UUID: ${volumeId}`);
  return BigInt(`0x${hex}`);
}

export function keyOfTag(tag: VolumeTag): bigint {
  return (TAG_MAGIC << TAG_BITS) | (tag & TAG_MASK);
}

/** The tag a registration key carries, or undefined when the key is not Tandem's. */
export function tagOfKey(key: bigint): VolumeTag | undefined {
  return key >> TAG_BITS === TAG_MAGIC ? key & TAG_MASK : undefined;
}

export function prOutCdb(serviceAction: number): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = PR_OUT_OPCODE;
  cdb[1] = serviceAction & 0x1f;
  cdb.writeUInt32BE(PR_OUT_PARAMETERS, 5);
  return cdb;
}

/** PR OUT parameter list: our key, the service-action key, APTPL so it survives restarts. */
export function prOutParameters(key: bigint, serviceActionKey: bigint): Buffer {
  const p = Buffer.alloc(PR_OUT_PARAMETERS);
  p.writeBigUInt64BE(key, 0);
  p.writeBigUInt64BE(serviceActionKey, 8);
  p[20] = APTPL;
  return p;
}

export function readKeysCdb(allocationLength: number): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = PR_IN_OPCODE;
  cdb[1] = READ_KEYS;
  cdb.writeUInt16BE(allocationLength, 7);
  return cdb;
}

/** Keys of a READ KEYS answer (truncated lists yield the keys present). */
export function parseReadKeys(data: Buffer): bigint[] {
  if (data.length < 8) return [];
  const listed = data.readUInt32BE(4);
  const end = Math.min(data.length, 8 + listed);
  const keys: bigint[] = [];
  for (let at = 8; at + 8 <= end; at += 8) keys.push(data.readBigUInt64BE(at));
  return keys;
}

/** Distinct Tandem tags among registration keys. */
export function tagsOfKeys(keys: readonly bigint[]): VolumeTag[] {
  const tags = new Set<VolumeTag>();
  for (const k of keys) {
    const t = tagOfKey(k);
    if (t !== undefined) tags.add(t);
  }
  return [...tags];
}
