/**
 * Keeps the raw fuzzer away from the LUNs the well-behaved sessions use: every header
 * the target's framer will see in a byte stream (found by walking it the way the target
 * frames PDUs, no digests) is rewritten so it cannot address LUN 0 or 1 and cannot ask
 * for a target-wide reset. Everything else about the header stays as fuzzed.
 */
import { BHS_LENGTH, lunFromField, lunToField, readAhsLength, readDataSegmentLength } from '../../src/iscsi/pdu/bhs.js';
import { Opcode, TmfFunction } from '../../src/iscsi/pdu/opcodes.js';
import { padLength } from '../../src/iscsi/pdu/segment.js';

/** The LUN the raw fuzzer owns. */
export const FUZZ_LUN = 2;
/** LUNs belonging to the well-behaved session and the CDB-path session. */
export const PROTECTED_LUNS: ReadonlySet<number> = new Set([0, 1]);

const TARGET_RESETS: ReadonlySet<number> = new Set([TmfFunction.TARGET_WARM_RESET, TmfFunction.TARGET_COLD_RESET]);
/** An unassigned TMF function code: the target must answer "function not supported". */
const UNASSIGNED_TMF = 0x20;

/** Rewrites one header in place (at `at`, 48 bytes available). */
export function isolateHeader(buf: Buffer, at: number): void {
  const opcode = buf[at]! & 0x3f;
  if (opcode === Opcode.SCSI_COMMAND || opcode === Opcode.TASK_MGMT_REQUEST || opcode === Opcode.DATA_OUT || opcode === Opcode.NOP_OUT || opcode === Opcode.TEXT_REQUEST) {
    const lun = lunFromField(buf.readBigUInt64BE(at + 8));
    if (PROTECTED_LUNS.has(lun)) buf.writeBigUInt64BE(lunToField(FUZZ_LUN), at + 8);
  }
  if (opcode === Opcode.TASK_MGMT_REQUEST && TARGET_RESETS.has(buf[at + 1]! & 0x7f)) {
    buf[at + 1] = (buf[at + 1]! & 0x80) | UNASSIGNED_TMF;
  }
}

/** Total wire length a header at `at` declares (BHS + AHS + padded data). */
export function declaredLength(buf: Buffer, at: number): number {
  const header = buf.subarray(at, at + BHS_LENGTH);
  const dataLength = readDataSegmentLength(header);
  return BHS_LENGTH + readAhsLength(header) + dataLength + padLength(dataLength);
}

/**
 * Isolates every header in `buf`, assuming a PDU boundary at offset 0. Returns true when
 * the buffer ends exactly on a PDU boundary, i.e. the stream is still in step afterwards.
 */
export function isolateStream(buf: Buffer): boolean {
  let at = 0;
  while (at + BHS_LENGTH <= buf.length) {
    isolateHeader(buf, at);
    at += declaredLength(buf, at);
  }
  return at === buf.length;
}
