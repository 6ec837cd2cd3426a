import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { A, B, C, SA, makeLu, prOut, readKeys, readReservation, register } from './helpers.js';

describe('PREEMPT, CLEAR and the unit attentions they raise', () => {
  it('PREEMPT of a registration (no reservation) removes it and tells its nexus', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    expect((await prOut(lu, A, SA.PREEMPT, 0, 0xaan, 0xbbn)).status).toBe(ScsiStatus.GOOD);
    expect((await readKeys(lu, A)).keys).toEqual([0xaan]);
    expect(lu.unitAttentions.take(B)).toEqual([0x2a, 0x05]);
    expect(lu.unitAttentions.take(A)).toBeUndefined();
  });

  it('PREEMPT naming no registered key conflicts; SARK 0 without an all-registrants reservation is invalid', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    expect((await prOut(lu, A, SA.PREEMPT, 1, 0xaan, 0x99n)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    const zero = await prOut(lu, A, SA.PREEMPT, 1, 0xaan, 0n);
    expect(zero.sense!.asc).toEqual([0x26, 0x00]);
    expect(zero.sense!.field).toMatchObject({ inCdb: false, byte: 8 });
  });

  it('PREEMPT of the holder takes over the reservation with the new type', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    await prOut(lu, B, SA.RESERVE, 1, 0xbbn);
    expect((await prOut(lu, A, SA.PREEMPT_AND_ABORT, 3, 0xaan, 0xbbn)).status).toBe(ScsiStatus.GOOD);
    expect(await readReservation(lu, A)).toEqual({ key: 0xaan, type: 3 });
    expect((await readKeys(lu, A)).keys).toEqual([0xaan]);
    expect(lu.unitAttentions.take(B)).toEqual([0x2a, 0x05]);
  });

  it('PREEMPT with SARK 0 of an all-registrants reservation removes every other registrant', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    await register(lu, C, 0xccn);
    await prOut(lu, B, SA.RESERVE, 7, 0xbbn);
    expect((await prOut(lu, A, SA.PREEMPT, 1, 0xaan, 0n)).status).toBe(ScsiStatus.GOOD);
    expect((await readKeys(lu, A)).keys).toEqual([0xaan]);
    expect(await readReservation(lu, A)).toEqual({ key: 0xaan, type: 1 });
    expect(lu.unitAttentions.take(B)).toEqual([0x2a, 0x05]);
    expect(lu.unitAttentions.take(C)).toEqual([0x2a, 0x05]);
  });

  it('CLEAR removes everything and raises RESERVATIONS PREEMPTED for the others', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    await prOut(lu, A, SA.RESERVE, 1, 0xaan);
    const gen = (await readKeys(lu, A)).generation;
    expect((await prOut(lu, B, SA.CLEAR, 0, 0xbbn)).status).toBe(ScsiStatus.GOOD);
    const after = await readKeys(lu, A);
    expect(after.keys).toEqual([]);
    expect(after.generation).toBe(gen + 1);
    expect(await readReservation(lu, A)).toBeUndefined();
    expect(lu.unitAttentions.take(A)).toEqual([0x2a, 0x03]);
    expect(lu.unitAttentions.take(B)).toBeUndefined();
  });

  it('CLEAR by an unregistered nexus conflicts', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    expect((await prOut(lu, B, SA.CLEAR, 0, 0n)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
  });

  it('releasing a registrants-only reservation raises RESERVATIONS RELEASED for other registrants only', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    await prOut(lu, A, SA.RESERVE, 5, 0xaan);
    await prOut(lu, A, SA.RELEASE, 5, 0xaan);
    expect(lu.unitAttentions.take(B)).toEqual([0x2a, 0x04]);
    expect(lu.unitAttentions.take(A)).toBeUndefined();
    expect(lu.unitAttentions.take(C)).toBeUndefined();
  });

  it('releasing a WRITE EXCLUSIVE reservation raises nothing', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    await prOut(lu, A, SA.RESERVE, 1, 0xaan);
    await prOut(lu, A, SA.RELEASE, 1, 0xaan);
    expect(lu.unitAttentions.take(B)).toBeUndefined();
  });
});
