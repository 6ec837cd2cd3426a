/** CDB builders and Data-In parsers for the typed helpers (SPC-4, SBC-3). */
import { GatheredData, piecesOf, type DataOut } from './data-out.js';

/**
 * SAM-5 status codes (§5.3) as the initiator reads them from SCSI Response PDUs. The
 * initiator keeps its own copy: it may not import the target's SCSI layer (src/scsi), which
 * defines the same values in src/scsi/types.ts.
 */
export const ScsiStatus = {
  GOOD: 0x00,
  CHECK_CONDITION: 0x02,
  CONDITION_MET: 0x04,
  BUSY: 0x08,
  RESERVATION_CONFLICT: 0x18,
  TASK_SET_FULL: 0x28,
  ACA_ACTIVE: 0x30,
  TASK_ABORTED: 0x40,
} as const;

export const ScsiOpcode = {
  TEST_UNIT_READY: 0x00,
  INQUIRY: 0x12,
  SYNCHRONIZE_CACHE_10: 0x35,
  UNMAP: 0x42,
  READ_16: 0x88,
  WRITE_16: 0x8a,
  SERVICE_ACTION_IN_16: 0x9e,
  SERVICE_ACTION_OUT_16: 0x9f,
  REPORT_LUNS: 0xa0,
  MAINTENANCE_IN: 0xa3,
} as const;

const READ_CAPACITY_16_SA = 0x10;
export const WRITE_SCATTERED_SA = 0x12;

function toBigLba(lba: bigint | number): bigint {
  const v = BigInt(lba);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`LBA ${lba} out of range`);
  return v;
}

function checkU32(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${what} ${n} out of range`);
}

export function testUnitReadyCdb(): Buffer {
  return Buffer.alloc(6);
}

export function inquiryCdb(evpd: boolean, page: number, allocationLength: number): Buffer {
  if (!evpd && page !== 0) throw new RangeError('a page code needs EVPD');
  const cdb = Buffer.alloc(6);
  cdb[0] = ScsiOpcode.INQUIRY;
  cdb[1] = evpd ? 1 : 0;
  cdb[2] = page & 0xff;
  cdb.writeUInt16BE(allocationLength & 0xffff, 3);
  return cdb;
}

export function readCapacity16Cdb(allocationLength = 32): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = ScsiOpcode.SERVICE_ACTION_IN_16;
  cdb[1] = READ_CAPACITY_16_SA;
  cdb.writeUInt32BE(allocationLength, 10);
  return cdb;
}

function rw16(opcode: number, lba: bigint | number, blocks: number, fua: boolean): Buffer {
  checkU32(blocks, 'transfer length');
  const cdb = Buffer.alloc(16);
  cdb[0] = opcode;
  cdb[1] = fua ? 0x08 : 0;
  cdb.writeBigUInt64BE(toBigLba(lba), 2);
  cdb.writeUInt32BE(blocks, 10);
  return cdb;
}

export function read16Cdb(lba: bigint | number, blocks: number, fua = false): Buffer {
  return rw16(ScsiOpcode.READ_16, lba, blocks, fua);
}

export function write16Cdb(lba: bigint | number, blocks: number, fua = false): Buffer {
  return rw16(ScsiOpcode.WRITE_16, lba, blocks, fua);
}

const REPORT_SUPPORTED_OPERATION_CODES_SA = 0x0c;
/** The one-command answer's header: byte 1 SUPPORT (bits 2:0), bytes 2-3 CDB SIZE. */
export const ONE_COMMAND_HEADER_BYTES = 4;

/**
 * REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35) for one command: an opcode (REPORTING
 * OPTIONS 001b), or an opcode and service action (010b).
 */
export function reportOneCommandCdb(opcode: number, serviceAction: number | undefined, allocationLength: number): Buffer {
  const cdb = Buffer.alloc(12);
  cdb[0] = ScsiOpcode.MAINTENANCE_IN;
  cdb[1] = REPORT_SUPPORTED_OPERATION_CODES_SA;
  cdb[2] = serviceAction === undefined ? 0x01 : 0x02;
  cdb[3] = opcode;
  cdb.writeUInt16BE(serviceAction ?? 0, 4);
  cdb.writeUInt32BE(allocationLength, 6);
  return cdb;
}

/** SUPPORT 011b (as the standard defines it) or 101b (vendor specific): the command is taken. */
export function oneCommandSupported(data: Buffer): boolean {
  if (data.length < ONE_COMMAND_HEADER_BYTES) return false;
  const support = data[1]! & 0x07;
  return support === 0b011 || support === 0b101;
}

/** Whole-medium flush: LBA 0, 0 blocks. */
export function synchronizeCacheCdb(): Buffer {
  const cdb = Buffer.alloc(10);
  cdb[0] = ScsiOpcode.SYNCHRONIZE_CACHE_10;
  return cdb;
}

export interface BlockRange {
  lba: bigint | number;
  blocks: number;
}

/** UNMAP CDB and its parameter list (SBC-3 §5.28): 8-byte header + 16 bytes per range. */
export function unmapCommand(ranges: readonly BlockRange[]): { cdb: Buffer; parameters: Buffer } {
  if (ranges.length === 0 || ranges.length > 4095) throw new RangeError(`UNMAP of ${ranges.length} ranges`);
  const parameters = Buffer.alloc(8 + 16 * ranges.length);
  parameters.writeUInt16BE(parameters.length - 2, 0);
  parameters.writeUInt16BE(16 * ranges.length, 2);
  ranges.forEach((r, i) => {
    checkU32(r.blocks, 'UNMAP block count');
    parameters.writeBigUInt64BE(toBigLba(r.lba), 8 + 16 * i);
    parameters.writeUInt32BE(r.blocks, 16 + 16 * i);
  });
  const cdb = Buffer.alloc(10);
  cdb[0] = ScsiOpcode.UNMAP;
  cdb.writeUInt16BE(parameters.length, 7);
  return { cdb, parameters };
}

/** One range of a WRITE SCATTERED: whole blocks of `data` (one buffer, or pieces back to back) at `lba`. */
export interface ScatteredWrite {
  lba: number;
  data: DataOut;
}

/**
 * WRITE SCATTERED(16) (SBC-4 §5.52) and its Data-Out buffer: a 32-byte header, a 32-byte
 * LBA range descriptor per write, padded to whole blocks, then the writes' data in order.
 */
export function writeScatteredCommand(
  writes: readonly ScatteredWrite[],
  blockSize: number,
  options: { fua?: boolean } = {},
  allocate: (bytes: number) => Buffer = Buffer.allocUnsafe,
): { cdb: Buffer; dataOut: Buffer } {
  const { cdb, headBytes, dataBytes } = scatteredLayout(writes, blockSize, options);
  // One buffer, header and data: the command is sent (and resent after a reconnect) from it.
  const dataOut = allocate(headBytes + dataBytes);
  writeScatteredHead(dataOut, writes, blockSize, headBytes);
  let at = headBytes;
  for (const w of writes) for (const piece of piecesOf(w.data)) at += piece.copy(dataOut, at);
  return { cdb, dataOut };
}

/**
 * WRITE SCATTERED(16) whose Data-Out is a gather list: the descriptors in a buffer of their
 * own, then the writes' buffers as they are (no copy). The caller leaves those unchanged
 * until the command settles, and never reuses them after a failure.
 */
export function writeScatteredGathered(
  writes: readonly ScatteredWrite[],
  blockSize: number,
  options: { fua?: boolean } = {},
  allocate: (bytes: number) => Buffer = Buffer.allocUnsafe,
): { cdb: Buffer; dataOut: GatheredData } {
  const { cdb, headBytes } = scatteredLayout(writes, blockSize, options);
  const head = allocate(headBytes);
  writeScatteredHead(head, writes, blockSize, headBytes);
  const pieces = [head];
  for (const w of writes) pieces.push(...piecesOf(w.data));
  return { cdb, dataOut: new GatheredData(pieces) };
}

/** The command's CDB and the sizes of its Data-Out's two parts (descriptors padded to whole blocks, data). */
function scatteredLayout(writes: readonly ScatteredWrite[], blockSize: number, options: { fua?: boolean }): { cdb: Buffer; headBytes: number; dataBytes: number } {
  if (writes.length === 0 || writes.length > 0xffff) throw new RangeError(`WRITE SCATTERED of ${writes.length} ranges`);
  const headerBlocks = Math.ceil((32 + 32 * writes.length) / blockSize);
  if (headerBlocks > 0xffff) throw new RangeError('WRITE SCATTERED descriptors exceed the logical block data offset');
  let blocks = 0;
  for (const w of writes) {
    if (w.data.length === 0 || w.data.length % blockSize !== 0) throw new RangeError(`a scattered write of ${w.data.length} bytes is not whole ${blockSize}-byte blocks`);
    if (!Number.isSafeInteger(w.lba) || w.lba < 0) throw new RangeError(`LBA ${w.lba} out of range`);
    blocks += w.data.length / blockSize;
  }
  checkU32(blocks, 'WRITE SCATTERED buffer transfer length');
  const cdb = Buffer.alloc(16);
  cdb[0] = ScsiOpcode.SERVICE_ACTION_OUT_16;
  cdb[1] = WRITE_SCATTERED_SA;
  if (options.fua) cdb[2] = 0x08;
  cdb.writeUInt16BE(headerBlocks, 4);
  cdb.writeUInt16BE(writes.length, 8);
  cdb.writeUInt32BE(blocks, 10);
  return { cdb, headBytes: headerBlocks * blockSize, dataBytes: blocks * blockSize };
}

/** The header and one LBA range descriptor per write, in the first `headBytes` of `into` (the rest of them zero). */
function writeScatteredHead(into: Buffer, writes: readonly ScatteredWrite[], blockSize: number, headBytes: number): void {
  into.fill(0, 0, headBytes);
  writes.forEach((w, i) => {
    const d = 32 + 32 * i;
    into.writeUInt32BE(Math.floor(w.lba / 0x1_0000_0000), d);
    into.writeUInt32BE(w.lba % 0x1_0000_0000, d + 4);
    into.writeUInt32BE(w.data.length / blockSize, d + 8);
  });
}

export function reportLunsCdb(allocationLength: number): Buffer {
  const cdb = Buffer.alloc(12);
  cdb[0] = ScsiOpcode.REPORT_LUNS;
  cdb.writeUInt32BE(allocationLength, 6);
  return cdb;
}

export interface Capacity {
  blockSize: number;
  /** Number of logical blocks (RETURNED LOGICAL BLOCK ADDRESS + 1). */
  blockCount: bigint;
  /** Logical block provisioning management enabled (thin provisioning, UNMAP works). */
  lbpme: boolean;
  /** Unmapped blocks read back as zeros. */
  lbprz: boolean;
  logicalBlocksPerPhysicalBlockExponent: number;
  lowestAlignedLba: number;
}

export class ScsiDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScsiDataError';
  }
}

export function parseReadCapacity16(data: Buffer): Capacity {
  if (data.length < 16) throw new ScsiDataError(`READ CAPACITY(16) returned ${data.length} bytes, need 16`);
  const blockSize = data.readUInt32BE(8);
  if (blockSize === 0) throw new ScsiDataError('READ CAPACITY(16) reports a block size of 0');
  return {
    blockCount: data.readBigUInt64BE(0) + 1n,
    blockSize,
    logicalBlocksPerPhysicalBlockExponent: data[13]! & 0x0f,
    lbpme: (data[14]! & 0x80) !== 0,
    lbprz: (data[14]! & 0x40) !== 0,
    lowestAlignedLba: data.readUInt16BE(14) & 0x3fff,
  };
}

/** LUN numbers from REPORT LUNS data (SPC-4 §6.27): peripheral and flat addressing. */
export function parseReportLuns(data: Buffer): number[] {
  if (data.length < 8) throw new ScsiDataError(`REPORT LUNS returned ${data.length} bytes, need 8`);
  const listBytes = data.readUInt32BE(0);
  const end = Math.min(data.length, 8 + listBytes);
  const luns: number[] = [];
  for (let pos = 8; pos + 8 <= end; pos += 8) {
    const first = data.readUInt16BE(pos);
    const method = first >> 14;
    if (method === 0) luns.push(first & 0xff);
    else if (method === 1) luns.push(first & 0x3fff);
  }
  return luns;
}

/** REPORT LUNS data length field: how big a buffer would hold the whole list. */
export function reportLunsNeeded(data: Buffer): number {
  return data.length >= 4 ? 8 + data.readUInt32BE(0) : 8;
}

export interface StandardInquiry {
  peripheralQualifier: number;
  peripheralDeviceType: number;
  removable: boolean;
  version: number;
  vendor: string;
  product: string;
  revision: string;
}

export function parseStandardInquiry(data: Buffer): StandardInquiry {
  if (data.length < 36) throw new ScsiDataError(`standard INQUIRY data of ${data.length} bytes, need 36`);
  const text = (from: number, to: number): string => data.toString('latin1', from, to).trimEnd();
  return {
    peripheralQualifier: data[0]! >> 5,
    peripheralDeviceType: data[0]! & 0x1f,
    removable: (data[1]! & 0x80) !== 0,
    version: data[2]!,
    vendor: text(8, 16),
    product: text(16, 32),
    revision: text(32, 36),
  };
}

/** Commands that can be re-issued after a connection loss without changing the outcome. */
const IDEMPOTENT_OPCODES: ReadonlySet<number> = new Set([
  0x00, // TEST UNIT READY
  0x03, // REQUEST SENSE
  0x08, // READ(6)
  0x12, // INQUIRY
  0x1a, // MODE SENSE(6)
  0x25, // READ CAPACITY(10)
  0x28, // READ(10)
  0x2f, // VERIFY(10)
  0x35, // SYNCHRONIZE CACHE(10)
  0x5a, // MODE SENSE(10)
  0x88, // READ(16)
  0x8f, // VERIFY(16)
  0x91, // SYNCHRONIZE CACHE(16)
  0x9e, // SERVICE ACTION IN(16): READ CAPACITY(16), GET LBA STATUS
  0xa0, // REPORT LUNS
  0xa8, // READ(12)
]);

export function isIdempotentCdb(cdb: Buffer): boolean {
  return cdb.length > 0 && IDEMPOTENT_OPCODES.has(cdb[0]!);
}
