import { StatusError, type HandlerPlan } from './descriptor.js';
import { ConflictClass, ScsiStatus, type CommandContext, type Nexus } from './types.js';
import { Asc, SenseError, SenseKey, invalidParamField, type AscPair } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';
import { writesThrough } from './write.js';

/** Limits reported by RECEIVE COPY RESULTS / OPERATING PARAMETERS and enforced here. */
export const XcopyLimits = {
  MAX_CSCD_DESCRIPTORS: 4,
  MAX_SEGMENT_DESCRIPTORS: 16,
  MAX_DESCRIPTOR_LIST_LENGTH: 1024,
  /** Bytes one block-to-block segment may move (its count field is 16 bits anyway). */
  MAX_SEGMENT_BYTES: 64 * 1024 * 1024,
} as const;

/** Descriptor type codes we implement: block→block segments and identification CSCDs. */
export const SEGMENT_BLOCK_TO_BLOCK = 0x02;
export const CSCD_IDENTIFICATION = 0xe4;
const HEADER_LENGTH = 16;
const CSCD_LENGTH = 32;
const BLOCK_TO_BLOCK_LENGTH = 28;
/** One copy buffer per segment, reused: memory does not grow with the segment. */
const COPY_CHUNK_BYTES = 1024 * 1024;
const DESIGNATOR_TYPE_NAA = 0x3;

const UNREACHABLE_COPY_TARGET: AscPair = [0x08, 0x04];
const OPERATION_IN_PROGRESS: AscPair = [0x00, 0x16];

/** An LU that can be named by a CSCD descriptor: identified by its NAA designator. */
export interface CopyLu extends AdvancedLu {
  readonly identity: { naa: Buffer };
  readonly readOnly?: boolean;
}

type CopyTargetLookup = (naa: Buffer) => CopyLu | undefined;
const lookups = new WeakMap<object, CopyTargetLookup>();

/**
 * Let EXTENDED COPY on any of `units` name any other of them (the SCSI target calls this
 * with its LUs). Without it, an LU can copy only within itself.
 */
export function setCopyTargets(units: Iterable<CopyLu>): void {
  const all = [...units];
  const lookup: CopyTargetLookup = (naa) => all.find((u) => u.identity.naa.equals(naa));
  for (const u of all) lookups.set(u, lookup);
}

function resolveLu(issuer: AdvancedLu, naa: Buffer): CopyLu | undefined {
  const lookup = lookups.get(issuer);
  if (lookup) return lookup(naa);
  const self = issuer as Partial<CopyLu>;
  return self.identity?.naa.equals(naa) ? (issuer as CopyLu) : undefined;
}

/** COPY STATUS records kept for RECEIVE COPY RESULTS, per issuing LU, bounded. */
export interface CopyStatus {
  state: 'running' | 'done' | 'failed';
  segmentsProcessed: number;
  bytesTransferred: number;
}
const MAX_STATUS_RECORDS = 64;
const statusRecords = new WeakMap<object, Map<string, CopyStatus>>();

function statusKey(nexus: Nexus, listId: number): string {
  return `${nexus.id}\u0000${listId}`;
}

export function copyStatusOf(lu: AdvancedLu, nexus: Nexus, listId: number): CopyStatus | undefined {
  return statusRecords.get(lu)?.get(statusKey(nexus, listId));
}

function recordStatus(lu: AdvancedLu, nexus: Nexus, listId: number, status: CopyStatus): void {
  let map = statusRecords.get(lu);
  if (!map) statusRecords.set(lu, (map = new Map()));
  const key = statusKey(nexus, listId);
  map.delete(key);
  if (map.size >= MAX_STATUS_RECORDS) map.delete(map.keys().next().value!);
  map.set(key, status);
}

function copyAborted(asc: AscPair, information?: bigint): SenseError {
  return new SenseError({ key: SenseKey.COPY_ABORTED, asc, information });
}

function illegal(asc: AscPair, byte?: number): SenseError {
  return new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc, field: byte === undefined ? undefined : { inCdb: false, byte } });
}

interface Cscd {
  naa: Buffer | undefined;
}

interface Segment {
  offset: number;
  source: number;
  destination: number;
  blocks: number;
  sourceLba: bigint;
  destinationLba: bigint;
}

export interface CopyPlan {
  listId: number;
  /** LIST ID USAGE 11b: no status is kept for this list. */
  retainStatus: boolean;
  cscds: Cscd[];
  segments: Segment[];
}

/** Parse and validate an EXTENDED COPY (LID1) parameter list (SPC-4 §6.3.3) without touching any LU. */
export function parseExtendedCopy(data: Buffer): CopyPlan {
  if (data.length < HEADER_LENGTH) throw illegal(Asc.PARAMETER_LIST_LENGTH_ERROR);
  const listId = data[0]!;
  const listIdUsage = (data[1]! >> 3) & 0x3;
  const cscdBytes = data.readUInt16BE(2);
  const segmentBytes = data.readUInt32BE(8);
  const inlineBytes = data.readUInt32BE(12);
  if (cscdBytes + segmentBytes > XcopyLimits.MAX_DESCRIPTOR_LIST_LENGTH) throw illegal(Asc.PARAMETER_LIST_LENGTH_ERROR);
  if (HEADER_LENGTH + cscdBytes + segmentBytes + inlineBytes > data.length) throw illegal(Asc.PARAMETER_LIST_LENGTH_ERROR);
  if (inlineBytes !== 0) throw invalidParamField(12);
  if (cscdBytes % CSCD_LENGTH !== 0) throw invalidParamField(2);
  if (cscdBytes / CSCD_LENGTH > XcopyLimits.MAX_CSCD_DESCRIPTORS) throw illegal(Asc.TOO_MANY_TARGET_DESCRIPTORS, 2);

  // Walk the segment list once for its shape, so "too many" is reported before contents.
  const segmentStarts: number[] = [];
  const segEnd = HEADER_LENGTH + cscdBytes + segmentBytes;
  for (let off = HEADER_LENGTH + cscdBytes; off < segEnd; ) {
    if (off + 4 > segEnd) throw illegal(Asc.PARAMETER_LIST_LENGTH_ERROR);
    segmentStarts.push(off);
    off += 4 + data.readUInt16BE(off + 2);
    if (off > segEnd) throw illegal(Asc.PARAMETER_LIST_LENGTH_ERROR);
  }
  if (segmentStarts.length > XcopyLimits.MAX_SEGMENT_DESCRIPTORS) throw illegal(Asc.TOO_MANY_SEGMENT_DESCRIPTORS, 8);

  const cscds: Cscd[] = [];
  for (let off = HEADER_LENGTH; off < HEADER_LENGTH + cscdBytes; off += CSCD_LENGTH) {
    if (data[off] !== CSCD_IDENTIFICATION) throw illegal(Asc.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE, off);
    // Only direct-access block devices; LU ID TYPE and NUL are ignored as SPC-4 allows.
    if ((data[off + 1]! & 0x1f) !== 0) throw invalidParamField(off + 1);
    const codeSet = data[off + 4]! & 0x0f;
    const association = (data[off + 5]! >> 4) & 0x3;
    const type = data[off + 5]! & 0x0f;
    const length = data[off + 7]!;
    if (length > 20) throw invalidParamField(off + 7);
    // Anything but a binary NAA designator of an LU names nothing we can reach.
    const naa = codeSet === 1 && association === 0 && type === DESIGNATOR_TYPE_NAA ? Buffer.from(data.subarray(off + 8, off + 8 + length)) : undefined;
    cscds.push({ naa });
  }

  const segments: Segment[] = [];
  for (const off of segmentStarts) {
    if (data[off] !== SEGMENT_BLOCK_TO_BLOCK) throw illegal(Asc.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE, off);
    if (data.readUInt16BE(off + 2) !== BLOCK_TO_BLOCK_LENGTH - 4) throw invalidParamField(off + 2);
    segments.push({
      offset: off,
      source: data.readUInt16BE(off + 4),
      destination: data.readUInt16BE(off + 6),
      blocks: data.readUInt16BE(off + 10),
      sourceLba: data.readBigUInt64BE(off + 12),
      destinationLba: data.readBigUInt64BE(off + 20),
    });
  }
  return { listId, retainStatus: listIdUsage !== 0x3, cscds, segments };
}

function reachable(lu: AdvancedLu, plan: CopyPlan, index: number): CopyLu | undefined {
  const cscd = plan.cscds[index];
  return cscd?.naa ? resolveLu(lu, cscd.naa) : undefined;
}

function reach(lu: AdvancedLu, plan: CopyPlan, index: number): CopyLu {
  const target = reachable(lu, plan, index);
  if (!target) throw copyAborted(UNREACHABLE_COPY_TARGET);
  return target;
}

/**
 * Read and written for the issuing nexus: another's reservation refuses the segment as it
 * would that READ or WRITE. A target it cannot reach is left to the segment (COPY ABORTED
 * when its turn comes, after the segments before it).
 */
function refuseConflict(lu: AdvancedLu, nexus: Nexus, plan: CopyPlan, seg: Segment): void {
  if (reachable(lu, plan, seg.source)?.reservations.conflicts(nexus, ConflictClass.Read) || reachable(lu, plan, seg.destination)?.reservations.conflicts(nexus, ConflictClass.Write)) {
    throw new StatusError(ScsiStatus.RESERVATION_CONFLICT);
  }
}

async function copySegment(lu: AdvancedLu, nexus: Nexus, plan: CopyPlan, seg: Segment, status: CopyStatus): Promise<void> {
  const src = reach(lu, plan, seg.source);
  const dst = reach(lu, plan, seg.destination);
  // Asked again as each segment starts: a reservation may have come since the list was checked.
  refuseConflict(lu, nexus, plan, seg);
  if (src.blockSize !== dst.blockSize) throw copyAborted(Asc.INVALID_FIELD_IN_PARAMETER_LIST);
  // A range off either medium aborts the copy with no further sense (what initiators expect).
  if (seg.sourceLba + BigInt(seg.blocks) > BigInt(src.blockCount)) throw copyAborted(Asc.NO_ADDITIONAL_SENSE);
  if (seg.destinationLba + BigInt(seg.blocks) > BigInt(dst.blockCount)) throw copyAborted(Asc.NO_ADDITIONAL_SENSE);
  if (dst.readOnly || dst.device.readOnly) throw new SenseError({ key: SenseKey.DATA_PROTECT, asc: Asc.WRITE_PROTECTED });
  const bs = src.blockSize;
  const total = seg.blocks * bs;
  if (total === 0) return;
  if (total > XcopyLimits.MAX_SEGMENT_BYTES) throw copyAborted(Asc.INVALID_FIELD_IN_PARAMETER_LIST);
  const from = Number(seg.sourceLba) * bs;
  const to = Number(seg.destinationLba) * bs;
  const chunk = Math.min(total, Math.floor(COPY_CHUNK_BYTES / bs) * bs);
  const buf = Buffer.allocUnsafe(chunk);
  // Overlapping ranges on one device moving forward are copied back to front.
  const backwards = src === dst && to > from && to < from + total;
  const writer = dst.writerFor(nexus);
  const fua = writesThrough(dst, false);
  const release = await dst.extentLocks.acquire(Number(seg.destinationLba), seg.blocks);
  try {
    for (let done = 0; done < total; done += chunk) {
      const n = Math.min(chunk, total - done);
      const at = backwards ? total - done - n : done;
      const view = n === chunk ? buf : buf.subarray(0, n);
      await src.device.read(view, from + at);
      await writer.write(view, to + at, fua);
      status.bytesTransferred += n;
    }
  } finally {
    release();
  }
}

/** EXTENDED COPY (83h, LID1): block-to-block segments between LUs of this target. */
export function prepareExtendedCopy(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  const length = ctx.cdb.readUInt32BE(10);
  if (length > HEADER_LENGTH + XcopyLimits.MAX_DESCRIPTOR_LIST_LENGTH) throw illegal(Asc.PARAMETER_LIST_LENGTH_ERROR);
  return {
    dataOutLength: length,
    run: async (dataOut) => {
      if (length === 0) return;
      const data = (dataOut ?? Buffer.alloc(0)).subarray(0, length);
      if (data.length < length) throw illegal(Asc.PARAMETER_LIST_LENGTH_ERROR);
      const plan = parseExtendedCopy(data);
      const status: CopyStatus = { state: 'running', segmentsProcessed: 0, bytesTransferred: 0 };
      if (plan.retainStatus) {
        if (copyStatusOf(lu, ctx.nexus, plan.listId)?.state === 'running') {
          throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: OPERATION_IN_PROGRESS });
        }
        recordStatus(lu, ctx.nexus, plan.listId, status);
      }
      try {
        // A conflict anywhere in the list refuses it before any segment moves data.
        for (const seg of plan.segments) refuseConflict(lu, ctx.nexus, plan, seg);
        for (const seg of plan.segments) {
          await copySegment(lu, ctx.nexus, plan, seg, status);
          status.segmentsProcessed++;
        }
        status.state = 'done';
      } catch (err) {
        status.state = 'failed';
        throw err;
      }
    },
  };
}
