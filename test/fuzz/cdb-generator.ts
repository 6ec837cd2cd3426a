/**
 * Random CDBs: wholly random ones, and ones for every opcode a block target is likely to
 * implement (SPC-4/SBC-3 plus Tandem's vendor C1h-C3h) with random fields. Field bytes
 * lean towards 00h and FFh so lengths and LBAs hit both "small and valid" and "huge".
 */
import type { Prng } from './prng.js';

interface KnownCommand {
  opcode: number;
  /** Service actions to choose from (byte 1 bits 4-0), when the opcode is multiplexed. */
  serviceActions?: readonly number[];
}

export const KNOWN_COMMANDS: readonly KnownCommand[] = [
  { opcode: 0x00 }, // TEST UNIT READY
  { opcode: 0x03 }, // REQUEST SENSE
  { opcode: 0x04 }, // FORMAT UNIT
  { opcode: 0x08 }, // READ(6)
  { opcode: 0x0a }, // WRITE(6)
  { opcode: 0x12 }, // INQUIRY
  { opcode: 0x15 }, // MODE SELECT(6)
  { opcode: 0x16 }, // RESERVE(6)
  { opcode: 0x17 }, // RELEASE(6)
  { opcode: 0x1a }, // MODE SENSE(6)
  { opcode: 0x1b }, // START STOP UNIT
  { opcode: 0x1c }, // RECEIVE DIAGNOSTIC RESULTS
  { opcode: 0x1d }, // SEND DIAGNOSTIC
  { opcode: 0x1e }, // PREVENT ALLOW MEDIUM REMOVAL
  { opcode: 0x25 }, // READ CAPACITY(10)
  { opcode: 0x28 }, // READ(10)
  { opcode: 0x2a }, // WRITE(10)
  { opcode: 0x2e }, // WRITE AND VERIFY(10)
  { opcode: 0x2f }, // VERIFY(10)
  { opcode: 0x34 }, // PRE-FETCH(10)
  { opcode: 0x35 }, // SYNCHRONIZE CACHE(10)
  { opcode: 0x37 }, // READ DEFECT DATA(10)
  { opcode: 0x3b }, // WRITE BUFFER
  { opcode: 0x3c }, // READ BUFFER
  { opcode: 0x41 }, // WRITE SAME(10)
  { opcode: 0x42 }, // UNMAP
  { opcode: 0x4d }, // LOG SENSE
  { opcode: 0x55 }, // MODE SELECT(10)
  { opcode: 0x56 }, // RESERVE(10)
  { opcode: 0x57 }, // RELEASE(10)
  { opcode: 0x5a }, // MODE SENSE(10)
  { opcode: 0x5e, serviceActions: [0, 1, 2, 3, 0x1f] }, // PERSISTENT RESERVE IN
  { opcode: 0x5f, serviceActions: [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x1f] }, // PERSISTENT RESERVE OUT
  { opcode: 0x7f, serviceActions: [0x0009, 0x000b, 0x000d, 0x000e, 0x0011] }, // variable length (32-byte)
  { opcode: 0x83, serviceActions: [0, 1, 0x10, 0x11, 0x1c] }, // EXTENDED COPY
  { opcode: 0x84, serviceActions: [0, 1, 3, 4, 5, 7] }, // RECEIVE COPY RESULTS
  { opcode: 0x88 }, // READ(16)
  { opcode: 0x89 }, // COMPARE AND WRITE
  { opcode: 0x8a }, // WRITE(16)
  { opcode: 0x8b }, // ORWRITE(16)
  { opcode: 0x8e }, // WRITE AND VERIFY(16)
  { opcode: 0x8f }, // VERIFY(16)
  { opcode: 0x90 }, // PRE-FETCH(16)
  { opcode: 0x91 }, // SYNCHRONIZE CACHE(16)
  { opcode: 0x93 }, // WRITE SAME(16)
  { opcode: 0x9e, serviceActions: [0x10, 0x12, 0x13] }, // SERVICE ACTION IN(16)
  { opcode: 0xa0 }, // REPORT LUNS
  { opcode: 0xa3, serviceActions: [0x05, 0x0a, 0x0c, 0x0d, 0x0f] }, // MAINTENANCE IN
  { opcode: 0xa4, serviceActions: [0x06, 0x0a, 0x0e] }, // MAINTENANCE OUT
  { opcode: 0xa8 }, // READ(12)
  { opcode: 0xaa }, // WRITE(12)
  { opcode: 0xae }, // WRITE AND VERIFY(12)
  { opcode: 0xaf }, // VERIFY(12)
  { opcode: 0xb7 }, // READ DEFECT DATA(12)
  { opcode: 0xc1 }, // vendor: CHALLENGE
  { opcode: 0xc2 }, // vendor: SEND CHALLENGE LIST
  { opcode: 0xc3 }, // vendor: RECEIVE CHALLENGE ANSWERS
];

/** CDB length implied by the opcode's group code (SPC-4 §4.2.5.1); vendor groups vary. */
export function cdbLengthFor(opcode: number, rng: Prng): number {
  switch (opcode >> 5) {
    case 0:
      return 6;
    case 1:
    case 2:
      return 10;
    case 4:
      return 16;
    case 5:
      return 12;
    default:
      return opcode === 0x7f ? 32 : rng.pick([6, 10, 12, 16]);
  }
}

/** A byte biased towards the edges: 00h and FFh are where length and LBA bugs live. */
export function fieldByte(rng: Prng): number {
  const r = rng.below(100);
  if (r < 40) return 0;
  if (r < 55) return 0xff;
  return rng.below(256);
}

export function fieldBytes(rng: Prng, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = fieldByte(rng);
  return out;
}

/** A known opcode with random fields (service action kept legal half of the time). */
export function knownOpcodeCdb(rng: Prng): Buffer {
  const command = rng.pick(KNOWN_COMMANDS);
  const cdb = fieldBytes(rng, cdbLengthFor(command.opcode, rng));
  cdb[0] = command.opcode;
  if (command.opcode === 0x7f) {
    cdb[7] = rng.chance(0.8) ? 0x18 : rng.below(256); // ADDITIONAL CDB LENGTH
    if (command.serviceActions && rng.chance(0.8)) cdb.writeUInt16BE(rng.pick(command.serviceActions), 8);
  } else if (command.serviceActions && rng.chance(0.8)) {
    cdb[1] = (cdb[1]! & 0xe0) | rng.pick(command.serviceActions);
  }
  // The CONTROL byte (last) with NACA or vendor bits set is a classic rejection path.
  if (rng.chance(0.7)) cdb[cdb.length - 1] = 0;
  return cdb;
}

/** Any opcode, any bytes, any length from 1 to 260 (longer than 16 travels in an AHS). */
export function randomCdb(rng: Prng): Buffer {
  const length = rng.chance(0.85) ? rng.pick([6, 10, 12, 16]) : rng.between(1, 260);
  return rng.chance(0.5) ? rng.bytes(length) : fieldBytes(rng, length);
}

export function fuzzCdb(rng: Prng): Buffer {
  return rng.chance(0.6) ? knownOpcodeCdb(rng) : randomCdb(rng);
}
