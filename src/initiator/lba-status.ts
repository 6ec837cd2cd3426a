/**
 * GET LBA STATUS (SBC-3 §5.6, SERVICE ACTION IN(16) 9Eh / 12h): the CDB, and a decoder of
 * its parameter data that accepts only what a replication primary may safely act on. The
 * decoder throws ScsiDataError on anything else; the caller then treats the peer as
 * allocated everywhere.
 */
import { ScsiDataError, ScsiOpcode } from './cdb.js';

export const GET_LBA_STATUS_SA = 0x12;
/** Parameter data header bytes (PARAMETER DATA LENGTH + reserved). */
export const LBA_STATUS_HEADER_BYTES = 8;
export const LBA_STATUS_DESCRIPTOR_BYTES = 16;

/** PROVISIONING STATUS (SBC-3 Table 58): only DEALLOCATED promises nothing is stored there. */
export const ProvisioningStatus = { MAPPED: 0, DEALLOCATED: 1, ANCHORED: 2 } as const;

export interface LbaStatusDescriptor {
  lba: bigint;
  blocks: number;
  /** 0–15 (bits 3–0 of byte 12); reserved values are returned as they came. */
  status: number;
}

const U64_MAX = (1n << 64n) - 1n;

export function getLbaStatusCdb(lba: bigint | number, allocationLength: number): Buffer {
  const start = BigInt(lba);
  if (start < 0n || start > U64_MAX) throw new RangeError(`LBA ${lba} out of range`);
  if (!Number.isInteger(allocationLength) || allocationLength < 0 || allocationLength > 0xffffffff) throw new RangeError(`allocation length ${allocationLength} out of range`);
  const cdb = Buffer.alloc(16);
  cdb[0] = ScsiOpcode.SERVICE_ACTION_IN_16;
  cdb[1] = GET_LBA_STATUS_SA;
  cdb.writeBigUInt64BE(start, 2);
  cdb.writeUInt32BE(allocationLength, 10);
  return cdb;
}

/** Allocation length that asks for `descriptors` descriptors. */
export function lbaStatusAllocationLength(descriptors: number): number {
  return LBA_STATUS_HEADER_BYTES + descriptors * LBA_STATUS_DESCRIPTOR_BYTES;
}

/**
 * The descriptors of a GET LBA STATUS answer to a request starting at `startLba`. The
 * answer may be cut short by the allocation length (only whole descriptors count). It is
 * malformed, and refused, when: the header is short; PARAMETER DATA LENGTH is below 4 or
 * does not cover whole descriptors; no descriptor came back; the first does not contain
 * `startLba` (SBC-3 requires it); a descriptor covers no block or ends beyond 2^64; the
 * descriptors are not in ascending order without overlap. Gaps between descriptors are
 * allowed (the caller trusts only the contiguous run from the start).
 */
export function parseLbaStatus(data: Buffer, startLba: bigint): LbaStatusDescriptor[] {
  if (data.length < LBA_STATUS_HEADER_BYTES) throw new ScsiDataError(`GET LBA STATUS returned ${data.length} bytes, need ${LBA_STATUS_HEADER_BYTES}`);
  const parameterLength = data.readUInt32BE(0);
  if (parameterLength < 4 || (parameterLength - 4) % LBA_STATUS_DESCRIPTOR_BYTES !== 0) {
    throw new ScsiDataError(`GET LBA STATUS PARAMETER DATA LENGTH ${parameterLength} is not 4 plus whole descriptors`);
  }
  const available = Math.min(data.length, parameterLength + 4);
  const count = Math.floor((available - LBA_STATUS_HEADER_BYTES) / LBA_STATUS_DESCRIPTOR_BYTES);
  if (count < 1) throw new ScsiDataError('GET LBA STATUS returned no descriptor');
  const out: LbaStatusDescriptor[] = [];
  let previousEnd = 0n;
  for (let i = 0; i < count; i++) {
    const at = LBA_STATUS_HEADER_BYTES + i * LBA_STATUS_DESCRIPTOR_BYTES;
    const lba = data.readBigUInt64BE(at);
    const blocks = data.readUInt32BE(at + 8);
    const status = data[at + 12]! & 0x0f;
    if (blocks === 0) throw new ScsiDataError(`GET LBA STATUS descriptor ${i} covers no block`);
    const end = lba + BigInt(blocks);
    if (end - 1n > U64_MAX) throw new ScsiDataError(`GET LBA STATUS descriptor ${i} ends beyond the last LBA`);
    if (i === 0 && (lba > startLba || end <= startLba)) throw new ScsiDataError(`GET LBA STATUS first descriptor (LBA ${lba}, ${blocks} blocks) does not contain the starting LBA ${startLba}`);
    if (i > 0 && lba < previousEnd) throw new ScsiDataError(`GET LBA STATUS descriptor ${i} (LBA ${lba}) overlaps or precedes the one before`);
    out.push({ lba, blocks, status });
    previousEnd = end;
  }
  return out;
}

/** Bytes a GET LBA STATUS answer describes: whether anything may be stored there. */
export interface ProvisionedRun {
  offset: number;
  length: number;
  /** False only where the target deallocated the blocks: nothing stored. */
  mapped: boolean;
}

/**
 * What `descriptors` (parsed, ascending) say of the bytes from `offset` up to `end`, as runs
 * contiguous from `offset`: a gap after a descriptor says nothing about what lies in it, so
 * the runs stop there.
 */
export function provisionedRuns(descriptors: readonly LbaStatusDescriptor[], offset: number, end: number, blockSize: number): ProvisionedRun[] {
  const bs = BigInt(blockSize);
  const out: ProvisionedRun[] = [];
  let at = offset;
  for (const d of descriptors) {
    if (at >= end || bs * d.lba > BigInt(at)) break;
    // In bigints: a descriptor may end far past what a Number holds exactly.
    const descriptorEnd = bs * (d.lba + BigInt(d.blocks));
    const last = descriptorEnd < BigInt(end) ? Number(descriptorEnd) : end;
    if (last <= at) continue;
    out.push({ offset: at, length: last - at, mapped: d.status !== ProvisioningStatus.DEALLOCATED });
    at = last;
  }
  return out;
}
