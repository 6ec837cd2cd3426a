import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { A, B, SA, exec, makeLu, prOut, prOutCdb, prOutParams, readKeys, readReservation, register } from './helpers.js';

const WE = 1;

describe('PERSISTENT RESERVE OUT register / reserve / release', () => {
  it('registers keys, bumps PRgeneration, and lists them in READ KEYS', async () => {
    const lu = await makeLu();
    expect((await register(lu, A, 0xaan)).status).toBe(ScsiStatus.GOOD);
    expect((await register(lu, B, 0xbbn)).status).toBe(ScsiStatus.GOOD);
    const keys = await readKeys(lu, A);
    expect(keys.keys).toEqual([0xaan, 0xbbn]);
    expect(keys.generation).toBe(2);
  });

  it('REGISTER with a wrong reservation key is a RESERVATION CONFLICT and changes nothing', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    const r = await exec(lu, A, prOutCdb(SA.REGISTER), prOutParams(0x1n, 0xccn));
    expect(r.status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect((await readKeys(lu, A)).keys).toEqual([0xaan]);
  });

  it('an unregistered nexus REGISTERing with a non-zero reservation key conflicts', async () => {
    const lu = await makeLu();
    const r = await exec(lu, A, prOutCdb(SA.REGISTER), prOutParams(0x5n, 0x6n));
    expect(r.status).toBe(ScsiStatus.RESERVATION_CONFLICT);
  });

  it('REGISTER with the right key replaces it; SARK 0 unregisters', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    expect((await exec(lu, A, prOutCdb(SA.REGISTER), prOutParams(0xaan, 0xabn))).status).toBe(ScsiStatus.GOOD);
    expect((await readKeys(lu, A)).keys).toEqual([0xabn]);
    expect((await exec(lu, A, prOutCdb(SA.REGISTER), prOutParams(0xabn, 0n))).status).toBe(ScsiStatus.GOOD);
    expect((await readKeys(lu, A)).keys).toEqual([]);
  });

  it('RESERVE needs a registration with the matching key', async () => {
    const lu = await makeLu();
    expect((await prOut(lu, A, SA.RESERVE, WE, 0xaan)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    await register(lu, A, 0xaan);
    expect((await prOut(lu, A, SA.RESERVE, WE, 0xabn)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect((await prOut(lu, A, SA.RESERVE, WE, 0xaan)).status).toBe(ScsiStatus.GOOD);
    expect(await readReservation(lu, B)).toEqual({ key: 0xaan, type: WE });
  });

  it('RESERVE does not bump PRgeneration; a second RESERVE by another registrant conflicts', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    await prOut(lu, A, SA.RESERVE, WE, 0xaan);
    expect((await readKeys(lu, A)).generation).toBe(2);
    expect((await prOut(lu, B, SA.RESERVE, WE, 0xbbn)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    // The holder re-reserving with the same type is fine, with another type it conflicts.
    expect((await prOut(lu, A, SA.RESERVE, WE, 0xaan)).status).toBe(ScsiStatus.GOOD);
    expect((await prOut(lu, A, SA.RESERVE, 3, 0xaan)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
  });

  it('RELEASE with another type is INVALID RELEASE OF PERSISTENT RESERVATION', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await prOut(lu, A, SA.RESERVE, WE, 0xaan);
    const r = await prOut(lu, A, SA.RELEASE, 3, 0xaan);
    expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(r.sense!.key).toBe(0x05);
    expect(r.sense!.asc).toEqual([0x26, 0x04]);
    expect(await readReservation(lu, A)).toEqual({ key: 0xaan, type: WE });
  });

  it('RELEASE by a registered non-holder is GOOD and leaves the reservation', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    await prOut(lu, A, SA.RESERVE, WE, 0xaan);
    expect((await prOut(lu, B, SA.RELEASE, WE, 0xbbn)).status).toBe(ScsiStatus.GOOD);
    expect(await readReservation(lu, A)).toBeDefined();
    expect((await prOut(lu, A, SA.RELEASE, WE, 0xaan)).status).toBe(ScsiStatus.GOOD);
    expect(await readReservation(lu, A)).toBeUndefined();
  });

  it('unregistering the holder of a non-shared reservation releases it', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await prOut(lu, A, SA.RESERVE, 5, 0xaan);
    await exec(lu, A, prOutCdb(SA.REGISTER), prOutParams(0xaan, 0n));
    expect(await readReservation(lu, A)).toBeUndefined();
  });

  it('an all-registrants reservation reports key 0 and survives until the last registrant leaves', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    await prOut(lu, A, SA.RESERVE, 8, 0xaan);
    expect(await readReservation(lu, A)).toEqual({ key: 0n, type: 8 });
    await exec(lu, A, prOutCdb(SA.REGISTER), prOutParams(0xaan, 0n));
    expect(await readReservation(lu, A)).toEqual({ key: 0n, type: 8 });
    // B is a holder too and can release it.
    expect((await prOut(lu, B, SA.RELEASE, 8, 0xbbn)).status).toBe(ScsiStatus.GOOD);
    expect(await readReservation(lu, A)).toBeUndefined();
  });

  it('RESERVE with an invalid type or scope is INVALID FIELD IN CDB at byte 2', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    const badType = await prOut(lu, A, SA.RESERVE, 2, 0xaan);
    expect(badType.sense!.asc).toEqual([0x24, 0x00]);
    expect(badType.sense!.field).toMatchObject({ inCdb: true, byte: 2 });
    const badScope = await exec(lu, A, prOutCdb(SA.RESERVE, WE, 24, 1), prOutParams(0xaan, 0n));
    expect(badScope.sense!.field).toMatchObject({ inCdb: true, byte: 2 });
  });
});
