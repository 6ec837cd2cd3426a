import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { encodeIscsiTransportId } from '../../../src/scsi/reservations/index.js';
import { A, B, SA, exec, makeLu, prOutCdb, prOutParams, readKeys, readReservation, register, prOut } from './helpers.js';

describe('PERSISTENT RESERVE OUT parameter list', () => {
  it.each([0, 23, 25, 32])('a list length of %i (without SPEC_I_PT) is PARAMETER LIST LENGTH ERROR', async (len) => {
    const lu = await makeLu();
    const r = await exec(lu, A, prOutCdb(SA.REGISTER_IGNORE, 0, len), Buffer.alloc(len));
    expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(r.sense!.asc).toEqual([0x1a, 0x00]);
  });

  it('REGISTER with a 32-byte list and SPEC_I_PT clear is PARAMETER LIST LENGTH ERROR', async () => {
    const lu = await makeLu();
    const params = Buffer.concat([prOutParams(0n, 0x11n), Buffer.alloc(8)]);
    const r = await exec(lu, A, prOutCdb(SA.REGISTER, 0, 32), params);
    expect(r.sense!.asc).toEqual([0x1a, 0x00]);
  });

  it('SPEC_I_PT registers the named initiator ports as well', async () => {
    const lu = await makeLu();
    const tid = encodeIscsiTransportId({ initiatorName: B.initiatorName, isid: B.isid });
    const len = Buffer.alloc(4);
    len.writeUInt32BE(tid.length);
    const params = Buffer.concat([prOutParams(0n, 0x77n, 0x08), len, tid]);
    const r = await exec(lu, A, prOutCdb(SA.REGISTER, 0, params.length), params);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect((await readKeys(lu, A)).keys).toEqual([0x77n, 0x77n]);
    // B is registered: it may reserve with that key.
    expect((await prOut(lu, B, SA.RESERVE, 1, 0x77n)).status).toBe(ScsiStatus.GOOD);
  });

  it('REGISTER AND MOVE hands the reservation to the named port', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await prOut(lu, A, SA.RESERVE, 1, 0xaan);
    const tid = encodeIscsiTransportId({ initiatorName: B.initiatorName, isid: B.isid });
    const head = Buffer.alloc(24);
    head.writeBigUInt64BE(0xaan, 0);
    head.writeBigUInt64BE(0xbbn, 8);
    head[17] = 0x02; // UNREG
    head.writeUInt16BE(1, 18);
    head.writeUInt32BE(tid.length, 20);
    const params = Buffer.concat([head, tid]);
    const r = await exec(lu, A, prOutCdb(SA.REGISTER_AND_MOVE, 1, params.length), params);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(await readReservation(lu, A)).toEqual({ key: 0xbbn, type: 1 });
    expect((await readKeys(lu, A)).keys).toEqual([0xbbn]);
    expect((await prOut(lu, B, SA.RELEASE, 1, 0xbbn)).status).toBe(ScsiStatus.GOOD);
  });

  it('an unsupported PR OUT service action is INVALID FIELD IN CDB at byte 1', async () => {
    const lu = await makeLu();
    const r = await exec(lu, A, prOutCdb(8), prOutParams(0n, 1n));
    expect(r.sense!.field).toMatchObject({ inCdb: true, byte: 1 });
  });
});
