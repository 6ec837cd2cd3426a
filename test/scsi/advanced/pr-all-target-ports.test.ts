/**
 * ALL_TG_PT (SPC-4 §6.16.3): a REGISTER with it registers the initiator port through every
 * target port of the LU, as if sent through each. Here one LU is reached through two target
 * ports (tpgt 1 and 2), as a replicated LU is through its two nodes. Such a registration
 * holds a single-holder reservation through every port; READ FULL STATUS shows it once with
 * ALL_TG_PT set; it survives a restart under APTPL.
 */
import { describe, expect, it } from 'vitest';
import { ConflictClass, ScsiStatus, type Nexus } from '../../../src/scsi/types.js';
import { encodeIscsiTransportId } from '../../../src/scsi/reservations/index.js';
import { A, B, SA, TARGET, exec, makeLu, prInCdb, prOut, prOutCdb, prOutParams, readKeys, readReservation, register, tempDir } from './helpers.js';

const ALL_TG_PT = 0x04;
const APTPL = 0x01;
const WRITE_EXCLUSIVE = 1;

/** `n`'s initiator port through the LU's second target port. */
function onPort2(n: Nexus): Nexus {
  return { ...n, id: `${n.initiatorName},i,0x${n.isid}|${TARGET},t,0x2`, tpgt: 2, relativePortId: 2 };
}

const A2 = onPort2(A);

describe('PERSISTENT RESERVE OUT with ALL_TG_PT', () => {
  it('registers the initiator port through every target port: one key, and its Write Exclusive reservation holds through both', async () => {
    const lu = await makeLu();
    expect((await register(lu, A, 0xaan, ALL_TG_PT)).status).toBe(ScsiStatus.GOOD);
    expect((await readKeys(lu, B)).keys).toEqual([0xaan]);
    expect((await prOut(lu, A, SA.RESERVE, WRITE_EXCLUSIVE, 0xaan)).status).toBe(ScsiStatus.GOOD);
    expect(lu.reservations.conflicts(A, ConflictClass.Write)).toBe(false);
    expect(lu.reservations.conflicts(A2, ConflictClass.Write)).toBe(false);
    expect(lu.reservations.conflicts(B, ConflictClass.Write)).toBe(true);
    // Registered through port 2 as well: it releases there with its key.
    expect((await prOut(lu, A2, SA.RELEASE, WRITE_EXCLUSIVE, 0xaan)).status).toBe(ScsiStatus.GOOD);
    expect(await readReservation(lu, B)).toBeUndefined();
  });

  it('without it, the registration and the reservation are the one I_T nexus\'s: port 2 is in conflict', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await prOut(lu, A, SA.RESERVE, WRITE_EXCLUSIVE, 0xaan);
    expect(lu.reservations.conflicts(A2, ConflictClass.Write)).toBe(true);
  });

  it('READ FULL STATUS shows it once, ALL_TG_PT and R_HOLDER set, no port named', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan, ALL_TG_PT);
    await prOut(lu, A2, SA.RESERVE, WRITE_EXCLUSIVE, 0xaan);
    const d = (await exec(lu, B, prInCdb(3))).data!;
    const tid = encodeIscsiTransportId({ initiatorName: A.initiatorName, isid: A.isid });
    expect(d.readUInt32BE(4)).toBe(24 + tid.length);
    expect(d.readBigUInt64BE(8)).toBe(0xaan);
    expect(d[8 + 12]).toBe(0x03); // ALL_TG_PT, R_HOLDER
    expect(d[8 + 13]).toBe(WRITE_EXCLUSIVE);
    expect(d.readUInt16BE(8 + 18)).toBe(0);
    expect(d.subarray(8 + 24, 8 + 24 + tid.length).equals(tid)).toBe(true);
  });

  it('REGISTER must match the key the port holds; a per-port registration that held the reservation becomes one for all ports, still holding it', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await prOut(lu, A, SA.RESERVE, WRITE_EXCLUSIVE, 0xaan);
    const generation = (await readKeys(lu, B)).generation;
    expect((await exec(lu, A2, prOutCdb(SA.REGISTER), prOutParams(0x1n, 0xabn, ALL_TG_PT))).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect((await readKeys(lu, B)).generation).toBe(generation);
    expect((await exec(lu, A2, prOutCdb(SA.REGISTER), prOutParams(0xaan, 0xabn, ALL_TG_PT))).status).toBe(ScsiStatus.GOOD);
    expect((await readKeys(lu, B)).keys).toEqual([0xabn]);
    expect(await readReservation(lu, B)).toEqual({ key: 0xabn, type: WRITE_EXCLUSIVE });
    expect(lu.reservations.conflicts(A2, ConflictClass.Write)).toBe(false);
  });

  it('an unregistered initiator port REGISTERs with key 0, or conflicts', async () => {
    const lu = await makeLu();
    expect((await exec(lu, A, prOutCdb(SA.REGISTER), prOutParams(0x5n, 0x6n, ALL_TG_PT))).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect((await exec(lu, A, prOutCdb(SA.REGISTER), prOutParams(0n, 0x6n, ALL_TG_PT))).status).toBe(ScsiStatus.GOOD);
    expect((await readKeys(lu, B)).keys).toEqual([0x6n]);
  });

  it('SARK 0 through any port unregisters it through all, releasing its reservation', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan, ALL_TG_PT);
    await prOut(lu, A, SA.RESERVE, WRITE_EXCLUSIVE, 0xaan);
    expect((await exec(lu, A2, prOutCdb(SA.REGISTER), prOutParams(0xaan, 0n))).status).toBe(ScsiStatus.GOOD);
    expect((await readKeys(lu, B)).keys).toEqual([]);
    expect(await readReservation(lu, B)).toBeUndefined();
  });

  it('a PREEMPT of its key removes it from every port', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan, ALL_TG_PT);
    await register(lu, B, 0xbbn);
    await prOut(lu, A, SA.RESERVE, WRITE_EXCLUSIVE, 0xaan);
    expect((await prOut(lu, B, SA.PREEMPT, WRITE_EXCLUSIVE, 0xbbn, 0xaan)).status).toBe(ScsiStatus.GOOD);
    expect((await readKeys(lu, B)).keys).toEqual([0xbbn]);
    expect(lu.reservations.conflicts(A2, ConflictClass.Write)).toBe(true);
  });

  it('preempted, it tells REGISTRATIONS PREEMPTED to every nexus of its initiator port the LU knows', async () => {
    const lu = await makeLu();
    for (const n of [A, A2, B]) lu.attachNexus(n);
    await register(lu, A, 0xaan, ALL_TG_PT);
    await register(lu, B, 0xbbn);
    await prOut(lu, B, SA.PREEMPT, WRITE_EXCLUSIVE, 0xbbn, 0xaan);
    expect(lu.unitAttentions.take(A)).toEqual([0x2a, 0x05]);
    expect(lu.unitAttentions.take(A2)).toEqual([0x2a, 0x05]);
    expect(lu.unitAttentions.take(B)).toBeUndefined();
  });

  it('with SPEC_I_PT is refused: INVALID FIELD IN PARAMETER LIST at ALL_TG_PT', async () => {
    const lu = await makeLu();
    const tid = encodeIscsiTransportId({ initiatorName: B.initiatorName, isid: B.isid });
    const len = Buffer.alloc(4);
    len.writeUInt32BE(tid.length);
    const params = Buffer.concat([prOutParams(0n, 0x77n, 0x08 | ALL_TG_PT), len, tid]);
    const r = await exec(lu, A, prOutCdb(SA.REGISTER, 0, params.length), params);
    expect(r.sense!.asc).toEqual([0x26, 0x00]);
    expect(r.sense!.field).toMatchObject({ inCdb: false, byte: 20, bit: 2 });
    expect((await readKeys(lu, B)).keys).toEqual([]);
  });

  it('under APTPL it is reloaded covering every port, with its reservation', async () => {
    const metaDir = tempDir();
    const lu = await makeLu({ metaDir });
    await register(lu, A, 0xaan, ALL_TG_PT | APTPL);
    await prOut(lu, A, SA.RESERVE, WRITE_EXCLUSIVE, 0xaan);
    const again = await makeLu({ metaDir });
    expect((await readKeys(again, B)).keys).toEqual([0xaan]);
    expect(again.reservations.conflicts(onPort2(A), ConflictClass.Write)).toBe(false);
    expect(again.reservations.conflicts(B, ConflictClass.Write)).toBe(true);
  });
});
