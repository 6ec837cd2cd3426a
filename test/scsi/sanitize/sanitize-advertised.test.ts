import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { Pacer, type Clock } from '../../../src/scsi/sanitize/pacer.js';
import { encodeDescriptorSense, encodeFixedSense, SenseKey, Asc } from '../../../src/scsi/sense.js';
import { be32, senseOf } from '../helpers.js';
import { BLOCK, SA, SteeredStore, overwriteList, sanitize, sanitizeRig } from './rig.js';

const rsoc = (options: number, opcode = 0, sa = 0) => [0xa3, 0x0c, options, opcode, sa >> 8, sa & 0xff, ...be32(65536), 0, 0];

function listedServiceActions(d: Buffer): number[] {
  const out: number[] = [];
  for (let i = 4; i < 4 + d.readUInt32BE(0); i += 8) if (d[i] === 0x48) out.push(d.readUInt16BE(i + 2));
  return out;
}

describe('what a LU says about SANITIZE', () => {
  it('REPORT SUPPORTED OPERATION CODES lists OVERWRITE, BLOCK ERASE and EXIT FAILURE MODE, not CRYPTO ERASE', async () => {
    const r = await sanitizeRig();
    expect(listedServiceActions((await r.exec(rsoc(0))).dataIn!)).toEqual([SA.OVERWRITE, SA.BLOCK_ERASE, SA.EXIT_FAILURE_MODE]);
    const one = (await r.exec(rsoc(2, 0x48, SA.OVERWRITE))).dataIn!;
    expect(one[1]! & 7).toBe(3);
    expect([...one.subarray(4, 14)]).toEqual([0x48, 0xa1, 0, 0, 0, 0, 0, 0xff, 0xff, 0]);
    expect((await r.exec(rsoc(2, 0x48, SA.CRYPTO_ERASE))).dataIn![1]! & 7).toBe(1);
  });

  it('without discard, BLOCK ERASE is neither listed nor announced by WABEREQ', async () => {
    const r = await sanitizeRig({ store: new SteeredStore(64 * BLOCK, { canDiscard: false }) });
    expect(listedServiceActions((await r.exec(rsoc(0))).dataIn!)).toEqual([SA.OVERWRITE, SA.EXIT_FAILURE_MODE]);
    expect((await r.exec(rsoc(2, 0x48, SA.BLOCK_ERASE))).dataIn![1]! & 7).toBe(1);
    const b1 = (await r.exec([0x12, 1, 0xb1, 0, 64, 0])).dataIn!;
    expect(b1[7]! >> 4).toBe(0);
  });

  it('VPD B1h: WABEREQ 01b (reads after BLOCK ERASE succeed), WACEREQ 00b (no CRYPTO ERASE)', async () => {
    const r = await sanitizeRig();
    const b1 = (await r.exec([0x12, 1, 0xb1, 0, 64, 0])).dataIn!;
    expect(b1[7]! >> 6).toBe(1);
    expect((b1[7]! >> 4) & 3).toBe(0);
  });
});

describe('SANITIZE against reservations and write protection', () => {
  it('RESERVE(6) held by another nexus makes every sanitize service action a RESERVATION CONFLICT', async () => {
    const r = await sanitizeRig({ advanced: true });
    expect((await r.exec([0x16, 0, 0, 0, 0, 0], undefined, 2)).status).toBe(ScsiStatus.GOOD);
    const list = overwriteList(Buffer.alloc(BLOCK, 0xaa));
    expect((await r.exec(sanitize(SA.OVERWRITE, { length: list.length }), list)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect((await r.exec(sanitize(SA.BLOCK_ERASE))).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect((await r.exec(sanitize(SA.EXIT_FAILURE_MODE))).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
  });

  it('a registrant of a WRITE EXCLUSIVE - REGISTRANTS ONLY reservation may sanitize; a non-registrant may not', async () => {
    const r = await sanitizeRig({ advanced: true });
    const key = (k: number) => [0, 0, 0, 0, 0, 0, 0, k];
    const prout = (sa: number, type: number, params: number[], who: number) =>
      r.exec([0x5f, sa, type, 0, 0, 0, 0, 0, 24, 0], Buffer.from([...params, ...Array(24 - params.length).fill(0)]), who);
    expect((await prout(0x00, 0, [...key(0), ...key(1)], 1)).status).toBe(ScsiStatus.GOOD); // REGISTER
    expect((await prout(0x00, 0, [...key(0), ...key(2)], 2)).status).toBe(ScsiStatus.GOOD);
    expect((await prout(0x01, 0x05, key(2), 2)).status).toBe(ScsiStatus.GOOD); // RESERVE, WE-RO
    expect((await r.exec(sanitize(SA.BLOCK_ERASE), undefined, 1)).status).toBe(ScsiStatus.GOOD);
    expect((await prout(0x06, 0, [...key(1), ...key(0)], 1)).status).toBe(ScsiStatus.GOOD); // unregister
    expect((await r.exec(sanitize(SA.BLOCK_ERASE), undefined, 1)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
  });

  it('on a write-protected LU OVERWRITE and BLOCK ERASE are DATA PROTECT / WRITE PROTECTED', async () => {
    const r = await sanitizeRig();
    // SWP set in the Control mode page from the other nexus, as libiscsi's Sanitize.Readonly does.
    const page = Buffer.from((await r.exec([0x1a, 0x08, 0x0a, 0, 255, 0], undefined, 2)).dataIn!.subarray(4));
    page[4]! |= 0x08;
    const data = Buffer.concat([Buffer.alloc(4), page]);
    expect((await r.exec([0x15, 0x10, 0, 0, data.length, 0], data, 2)).status).toBe(ScsiStatus.GOOD);
    expect(senseOf(await r.exec([0x00]))).toMatchObject({ key: 6, asc: 0x2a, ascq: 0x01 });
    const list = overwriteList(Buffer.alloc(BLOCK, 0xaa));
    expect(senseOf(await r.exec(sanitize(SA.OVERWRITE, { length: list.length }), list))).toMatchObject({ key: 7, asc: 0x27 });
    expect(senseOf(await r.exec(sanitize(SA.BLOCK_ERASE)))).toMatchObject({ key: 7, asc: 0x27 });
  });
});

describe('progress indication in sense data', () => {
  it('is the sense-key-specific field with SKSV, in fixed and descriptor format', () => {
    const info = { key: SenseKey.NOT_READY, asc: Asc.LOGICAL_UNIT_NOT_READY_SANITIZE_IN_PROGRESS, progress: 0x4321 };
    const fixed = encodeFixedSense(info);
    expect([fixed[15], fixed.readUInt16BE(16)]).toEqual([0x80, 0x4321]);
    const desc = encodeDescriptorSense(info);
    expect([desc[8], desc[9], desc[12], desc.readUInt16BE(13)]).toEqual([0x02, 0x06, 0x80, 0x4321]);
  });
});

describe('Pacer', () => {
  it('sleeps just enough to keep the byte rate, and not at all without one', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const clock: Clock = { now: () => now, sleep: async (ms) => void (sleeps.push(ms), (now += ms)) };
    const paced = new Pacer(1000, clock);
    await paced.account(500); // due at 500 ms
    now += 100;
    await paced.account(500); // due at 1000 ms
    expect(sleeps).toEqual([500, 400]);
    const free = new Pacer(undefined, clock);
    await free.account(1e9);
    expect(sleeps).toHaveLength(2);
  });
});
