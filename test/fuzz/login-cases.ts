/**
 * Fuzz cases for a connection that has not logged in: random bytes (class 1) and
 * mutations of a correct Login Request built with the PDU codec (class 2).
 */
import { BHS_LENGTH, writeDataSegmentLength } from '../../src/iscsi/pdu/bhs.js';
import { encodeLoginRequest } from '../../src/iscsi/pdu/login.js';
import { paddingFor } from '../../src/iscsi/pdu/segment.js';
import type { Prng } from './prng.js';

export const FUZZ_INITIATOR_NAME = 'iqn.2026-11.io.tandem:fuzzer';

export interface LoginIdentity {
  targetName: string;
  initiatorName: string;
  isid: Buffer;
}

/** Header plus data segment with padding; the header's DataSegmentLength is left as is. */
export function frame(header: Buffer, data: Buffer = Buffer.alloc(0)): Buffer {
  return data.length === 0 ? header : Buffer.concat([header, data, paddingFor(data.length)]);
}

export function textSegment(pairs: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.from(pairs.map(([k, v]) => `${k}=${v}\0`).join(''), 'utf8');
}

/** Keys for a one-PDU login straight from the operational stage to full feature phase. */
export function operationalKeys(id: LoginIdentity): Array<[string, string]> {
  return [
    ['InitiatorName', id.initiatorName],
    ['TargetName', id.targetName],
    ['SessionType', 'Normal'],
    ['HeaderDigest', 'None'],
    ['DataDigest', 'None'],
    ['MaxRecvDataSegmentLength', '262144'],
    ['InitialR2T', 'No'],
    ['ImmediateData', 'Yes'],
    ['FirstBurstLength', '65536'],
    ['MaxBurstLength', '262144'],
    ['ErrorRecoveryLevel', '0'],
  ];
}

/** A correct Login Request: CSG=1 → NSG=3 with T set (no authentication configured). */
export function validLoginRequest(id: LoginIdentity, itt: number, cmdSN: number): Buffer {
  const data = textSegment(operationalKeys(id));
  const header = encodeLoginRequest(
    { transit: true, continue: false, csg: 1, nsg: 3, versionMax: 0, versionMin: 0, isid: id.isid, tsih: 0, itt, cid: 0, cmdSN, expStatSN: 0 },
    data.length,
  );
  return frame(header, data);
}

/** Class 1: bytes a confused or hostile peer might open a connection with. */
export function randomPreLoginBytes(rng: Prng): Buffer {
  const r = rng.below(100);
  if (r < 35) return rng.bytes(rng.between(1, 200));
  if (r < 65) {
    // A header whose length fields claim far more than follows.
    const header = rng.bytes(BHS_LENGTH);
    if (rng.chance(0.5)) header[0] = (header[0]! & 0x40) | 0x03;
    header[4] = rng.chance(0.5) ? 0xff : rng.below(256);
    writeDataSegmentLength(header, rng.chance(0.6) ? 0xffffff : rng.between(8193, 0xffffff));
    return Buffer.concat([header, rng.bytes(rng.below(65))]);
  }
  if (r < 90) {
    // A login-opcode header with random fields and a consistent small data segment.
    const header = rng.bytes(BHS_LENGTH);
    header[0] = (header[0]! & 0x40) | 0x03;
    header[4] = 0;
    const data = rng.bytes(rng.below(512));
    writeDataSegmentLength(header, data.length);
    return frame(header, data);
  }
  return rng.bytes(rng.between(200, 9000));
}

const JUNK_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['MaxRecvDataSegmentLength', '0'],
  ['MaxRecvDataSegmentLength', '99999999999999999999'],
  ['MaxBurstLength', '-1'],
  ['FirstBurstLength', '0x'],
  ['HeaderDigest', 'CRC32C,,None,'],
  ['DataDigest', 'Bogus'],
  ['AuthMethod', 'CHAP,None'],
  ['AuthMethod', 'KRB5'],
  ['CHAP_A', '5'],
  ['CHAP_N', 'x'],
  ['CHAP_R', '0x00'],
  ['SessionType', 'Discovery'],
  ['SessionType', 'Bogus'],
  ['TargetName', ''],
  ['InitiatorName', ''],
  ['MaxConnections', '65536'],
  ['ErrorRecoveryLevel', '2'],
  ['DefaultTime2Wait', '3601'],
  ['MaxOutstandingR2T', '0'],
  ['X-com.example.fuzz', 'y'],
  ['', 'novalue'],
  ['NoEquals', ''],
  ['TargetAlias', 'set-by-initiator'],
  ['SendTargets', 'All'],
];

function mutateLoginData(data: Buffer, rng: Prng): Buffer {
  switch (rng.below(8)) {
    case 0: {
      const out = Buffer.from(data);
      for (let n = rng.between(1, 8); n > 0 && out.length > 0; n--) out[rng.below(out.length)] = rng.below(256);
      return out;
    }
    case 1:
      return data.subarray(0, rng.below(data.length + 1));
    case 2:
      return Buffer.concat([data, rng.bytes(rng.between(1, 300))]);
    case 3: {
      const junk = Array.from({ length: rng.between(1, 6) }, () => rng.pick(JUNK_KEYS));
      return Buffer.concat([data, textSegment(junk)]);
    }
    case 4:
      // A value over the long-value bound, or a segment over the login segment limit.
      return Buffer.concat([data, Buffer.from(`InitiatorAlias=${'A'.repeat(rng.pick([256, 8200, 9000]))}\0`)]);
    case 5:
      return Buffer.from(data.toString('latin1').replace(/\0/g, rng.chance(0.5) ? '' : '\n'), 'latin1');
    case 6:
      return Buffer.concat([data, data]); // every key declared twice
    default:
      return Buffer.alloc(0);
  }
}

const LOGIN_FIELD_OFFSETS = [0, 1, 2, 3, 4, 8, 9, 14, 15, 16, 20, 24, 28, 36, 40, 44];

/**
 * Class 2: a correct Login Request, then one to three mutations: bit flips, a field set
 * to a random value, a DataSegmentLength that lies, or a damaged key=value segment.
 */
export function mutatedLoginRequest(id: LoginIdentity, rng: Prng): Buffer {
  const security = rng.chance(0.3);
  let data = security
    ? textSegment([['AuthMethod', 'None'], ...operationalKeys(id).slice(0, 3)])
    : textSegment(operationalKeys(id));
  const header = encodeLoginRequest(
    {
      transit: true,
      continue: false,
      csg: security ? 0 : 1,
      nsg: security ? 1 : 3,
      versionMax: 0,
      versionMin: 0,
      isid: id.isid,
      tsih: 0,
      itt: rng.u32(),
      cid: 0,
      cmdSN: rng.u32(),
      expStatSN: 0,
    },
    0,
  );
  let lengthLie: number | undefined;
  for (let n = rng.between(1, 3); n > 0; n--) {
    const kind = rng.below(10);
    if (kind < 3) {
      for (let flips = rng.between(1, 8); flips > 0; flips--) {
        const bit = rng.below(BHS_LENGTH * 8);
        header[bit >> 3] = header[bit >> 3]! ^ (1 << (bit & 7));
      }
    } else if (kind < 6) {
      header[rng.pick(LOGIN_FIELD_OFFSETS)] = rng.below(256);
    } else if (kind < 7) {
      lengthLie = rng.chance(0.5) ? 0xffffff : rng.below(0x10000);
    } else {
      data = mutateLoginData(data, rng);
    }
  }
  writeDataSegmentLength(header, lengthLie ?? data.length);
  // The encoder zeroes AHS length; a bit flip may have set it, and that stays part of the case.
  return frame(header, data);
}
