/**
 * Class 3 fuzz cases for a logged-in connection: SCSI Commands with random CDBs and lying
 * lengths, stray Data-Out, oversized NOP-Out, TMFs, Text and Logout with junk, unknown
 * opcodes, CmdSNs outside the window, and bit-flipped versions of all of them.
 */
import { BHS_LENGTH, lunToField, writeDataSegmentLength } from '../../src/iscsi/pdu/bhs.js';
import { encodeDataOut } from '../../src/iscsi/pdu/data-out.js';
import { encodeLogoutRequest } from '../../src/iscsi/pdu/logout.js';
import { encodeNopOut } from '../../src/iscsi/pdu/nop.js';
import { RESERVED_TAG } from '../../src/iscsi/pdu/opcodes.js';
import { encodeScsiCommand } from '../../src/iscsi/pdu/scsi-command.js';
import { encodeTaskMgmtRequest } from '../../src/iscsi/pdu/task-management.js';
import { encodeTextRequest } from '../../src/iscsi/pdu/text.js';
import { fuzzCdb } from './cdb-generator.js';
import { FUZZ_LUN } from './isolation.js';
import { frame, textSegment } from './login-cases.js';
import type { Prng } from './prng.js';

/** Sequence state of the fuzzing connection; the generator advances it as a real initiator would. */
export interface SessionCursor {
  cmdSN: number;
  expStatSN: number;
  nextItt: number;
  /** ITTs of recent commands, for Data-Out and ABORT TASK aimed at live tasks. */
  recentItts: number[];
}

/** Our declared MaxRecvDataSegmentLength is irrelevant here; the target's is 256 KiB by default. */
const TARGET_MAX_RECV_SEGMENT = 256 * 1024;

function takeItt(c: SessionCursor): number {
  const itt = c.nextItt;
  c.nextItt = (c.nextItt + 1) >>> 0 || 1;
  c.recentItts.push(itt);
  if (c.recentItts.length > 16) c.recentItts.shift();
  return itt;
}

/** CmdSN for a non-immediate PDU (advances), or the current one for an immediate PDU. */
function takeCmdSN(c: SessionCursor, immediate: boolean): number {
  const sn = c.cmdSN;
  if (!immediate) c.cmdSN = (c.cmdSN + 1) >>> 0;
  return sn;
}

function fuzzLun(rng: Prng): bigint {
  if (rng.chance(0.85)) return lunToField(FUZZ_LUN);
  // Missing LUNs and addressing methods we do not decode; LUNs 0/1 are rewritten by isolation.
  return rng.chance(0.5) ? lunToField(rng.between(3, 0x3fff)) : BigInt.asUintN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
}

function expectedLength(rng: Prng): number {
  return rng.pick([0, 512, 4096, rng.below(65536), 32 * 1024 * 1024, 32 * 1024 * 1024 + 1, 0xffffffff, rng.u32()]);
}

function scsiCommand(rng: Prng, c: SessionCursor): Buffer {
  const immediate = rng.chance(0.1);
  const write = rng.chance(0.4);
  const edtl = expectedLength(rng);
  const immediateData = write && rng.chance(0.7) ? rng.bytes(Math.min(rng.pick([0, 512, 4096, rng.below(70000)]), 300_000)) : Buffer.alloc(0);
  const itt = takeItt(c);
  const header = encodeScsiCommand(
    {
      immediate,
      final: rng.chance(0.6),
      read: rng.chance(0.5),
      write,
      attribute: rng.below(8),
      lun: fuzzLun(rng),
      itt,
      expectedLength: edtl,
      cmdSN: takeCmdSN(c, immediate),
      expStatSN: c.expStatSN,
      cdb: fuzzCdb(rng),
      ...(rng.chance(0.05) ? { bidiReadLength: rng.u32() } : {}),
    },
    immediateData.length,
  );
  const pdus = [frame(header, immediateData)];
  // Unsolicited or stray Data-Out for this command: wrong TTT, offset or DataSN on purpose half the time.
  if (write && rng.chance(0.5)) {
    let offset = immediateData.length;
    for (let dataSN = 0, n = rng.between(1, 4); dataSN < n; dataSN++) {
      const data = rng.bytes(rng.pick([512, 4096, rng.below(20000)]));
      pdus.push(dataOut(rng, c, itt, offset, dataSN, data, dataSN === n - 1));
      offset += data.length;
    }
  }
  return Buffer.concat(pdus);
}

function dataOut(rng: Prng, c: SessionCursor, itt: number, offset: number, dataSN: number, data: Buffer, last: boolean): Buffer {
  const wrong = rng.chance(0.5);
  const header = encodeDataOut(
    {
      final: wrong && rng.chance(0.3) ? !last : last,
      lun: lunToField(FUZZ_LUN),
      itt: wrong && rng.chance(0.3) ? rng.u32() : itt,
      ttt: wrong && rng.chance(0.4) ? rng.u32() : RESERVED_TAG,
      expStatSN: c.expStatSN,
      dataSN: wrong && rng.chance(0.4) ? rng.u32() : dataSN,
      bufferOffset: wrong && rng.chance(0.5) ? rng.pick([rng.u32(), offset + 1, 0xffffffff - 100, 32 * 1024 * 1024]) : offset,
    },
    data.length,
  );
  return frame(header, data);
}

function strayDataOut(rng: Prng, c: SessionCursor): Buffer {
  const itt = c.recentItts.length > 0 && rng.chance(0.7) ? rng.pick(c.recentItts) : rng.u32();
  return dataOut(rng, c, itt, rng.pick([0, 512, rng.u32()]), rng.below(4), rng.bytes(rng.pick([0, 512, 8192, rng.below(40000)])), rng.chance(0.5));
}

/** A ping, a reply to a NOP-In that never came, or data over the target's segment limit. */
function nopOut(rng: Prng, c: SessionCursor): Buffer {
  const immediate = rng.chance(0.5);
  const ping = rng.chance(0.8);
  const size = rng.pick([0, 64, 4096, TARGET_MAX_RECV_SEGMENT, TARGET_MAX_RECV_SEGMENT + 1, TARGET_MAX_RECV_SEGMENT + rng.below(50_000)]);
  const data = rng.bytes(size);
  const header = encodeNopOut(
    {
      immediate,
      lun: fuzzLun(rng),
      itt: ping ? takeItt(c) : RESERVED_TAG,
      ttt: ping ? (rng.chance(0.9) ? RESERVED_TAG : rng.u32()) : rng.chance(0.5) ? RESERVED_TAG : rng.u32(),
      cmdSN: takeCmdSN(c, true),
      expStatSN: c.expStatSN,
    },
    data.length,
  );
  return frame(header, data);
}

/** A NOP-Out claiming a 16 MiB segment and carrying a few bytes: always ends the stream. */
function nopOutLengthLie(rng: Prng, c: SessionCursor): Buffer {
  const header = encodeNopOut({ immediate: true, lun: 0n, itt: takeItt(c), ttt: RESERVED_TAG, cmdSN: c.cmdSN, expStatSN: c.expStatSN }, 0);
  writeDataSegmentLength(header, 0xffffff);
  return Buffer.concat([header, rng.bytes(rng.below(200))]);
}

function taskManagement(rng: Prng, c: SessionCursor): Buffer {
  const immediate = rng.chance(0.8);
  return encodeTaskMgmtRequest({
    immediate,
    function: rng.chance(0.7) ? rng.between(1, 8) : rng.below(128),
    lun: fuzzLun(rng),
    itt: takeItt(c),
    referencedTaskTag: c.recentItts.length > 0 && rng.chance(0.6) ? rng.pick(c.recentItts) : rng.u32(),
    cmdSN: takeCmdSN(c, immediate),
    expStatSN: c.expStatSN,
    refCmdSN: rng.chance(0.5) ? (c.cmdSN - rng.below(8)) >>> 0 : rng.u32(),
    expDataSN: rng.u32(),
  });
}

function textRequest(rng: Prng, c: SessionCursor): Buffer {
  const immediate = rng.chance(0.5);
  const data = rng.pick([
    () => textSegment([['SendTargets', 'All']]),
    () => textSegment([['SendTargets', rng.chance(0.5) ? '' : 'iqn.nope']]),
    () => textSegment([['MaxRecvDataSegmentLength', '1'], ['HeaderDigest', 'CRC32C']]),
    () => rng.bytes(rng.below(9000)),
    () => Buffer.from(`X-junk=${'z'.repeat(rng.below(70000))}\0`),
  ])();
  const flags = rng.below(4);
  const header = encodeTextRequest(
    {
      immediate,
      final: (flags & 1) !== 0,
      continue: (flags & 2) !== 0,
      lun: fuzzLun(rng),
      itt: takeItt(c),
      ttt: rng.chance(0.7) ? RESERVED_TAG : rng.u32(),
      cmdSN: takeCmdSN(c, immediate),
      expStatSN: c.expStatSN,
    },
    data.length,
  );
  return frame(header, data);
}

function logoutRequest(rng: Prng, c: SessionCursor): Buffer {
  const immediate = rng.chance(0.5);
  const header = encodeLogoutRequest({
    immediate,
    reasonCode: rng.chance(0.5) ? rng.below(3) : rng.below(128),
    itt: takeItt(c),
    cid: rng.chance(0.5) ? 0 : rng.below(0x10000),
    cmdSN: takeCmdSN(c, immediate),
    expStatSN: c.expStatSN,
  });
  // A data segment is not allowed on a Logout Request.
  const junk = rng.chance(0.3) ? rng.bytes(rng.between(1, 100)) : Buffer.alloc(0);
  writeDataSegmentLength(header, junk.length);
  return frame(header, junk);
}

/** Opcodes an initiator has no business sending: reserved initiator codes, SNACK, target opcodes, Login. */
function unknownOpcode(rng: Prng, c: SessionCursor): Buffer {
  const header = rng.bytes(BHS_LENGTH);
  header[0] = (header[0]! & 0x40) | rng.pick([0x03, 0x07, 0x08, 0x0c, 0x10, 0x1c, 0x1f, 0x20, 0x21, 0x25, 0x3f, rng.below(64)]);
  header[4] = 0;
  header.writeUInt32BE(c.cmdSN, 24);
  const data = rng.bytes(rng.below(1024));
  writeDataSegmentLength(header, data.length);
  return frame(header, data);
}

function badCmdSN(rng: Prng, c: SessionCursor): Buffer {
  const header = encodeScsiCommand(
    {
      immediate: false,
      final: true,
      read: true,
      write: false,
      attribute: 1,
      lun: lunToField(FUZZ_LUN),
      itt: takeItt(c),
      expectedLength: 512,
      cmdSN: (c.cmdSN + rng.pick([-1, -100, 129, 0x7fffffff, 0x80000000, rng.u32()])) >>> 0,
      expStatSN: c.expStatSN,
      cdb: Buffer.from([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
    },
    0,
  );
  return header;
}

/** Bytes 4-7 hold the AHS and data segment lengths: flipping them ends the connection's framing. */
function isLengthByte(index: number): boolean {
  return index >= 4 && index <= 7;
}

function flipBits(buf: Buffer, rng: Prng): Buffer {
  const out = Buffer.from(buf);
  const span = Math.min(out.length, rng.chance(0.8) ? BHS_LENGTH : out.length);
  // Mostly keep the framing intact so a connection lives long enough to reach deeper states.
  const spareLengths = rng.chance(0.85);
  for (let flips = rng.between(1, 6); flips > 0; flips--) {
    const bit = rng.below(span * 8);
    if (spareLengths && isLengthByte(bit >> 3)) continue;
    out[bit >> 3] = out[bit >> 3]! ^ (1 << (bit & 7));
  }
  return out;
}

const GENERATORS: ReadonlyArray<readonly [weight: number, make: (rng: Prng, c: SessionCursor) => Buffer]> = [
  [40, scsiCommand],
  [8, strayDataOut],
  [8, nopOut],
  [1, nopOutLengthLie],
  [12, taskManagement],
  [6, textRequest],
  [3, logoutRequest],
  [8, unknownOpcode],
  [6, badCmdSN],
  [2, (rng) => rng.bytes(rng.between(BHS_LENGTH, 400))],
];
const TOTAL_WEIGHT = GENERATORS.reduce((sum, [w]) => sum + w, 0);

/** One class 3 case: one or a few PDUs, bit-flipped a quarter of the time. */
export function fullFeatureCase(rng: Prng, c: SessionCursor): Buffer {
  let pick = rng.below(TOTAL_WEIGHT);
  let make = GENERATORS[0]![1];
  for (const [weight, generator] of GENERATORS) {
    if (pick < weight) {
      make = generator;
      break;
    }
    pick -= weight;
  }
  const pdu = make(rng, c);
  return rng.chance(0.25) ? flipBits(pdu, rng) : pdu;
}
