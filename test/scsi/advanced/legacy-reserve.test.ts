import { describe, expect, it } from 'vitest';
import { ConflictClass, ScsiStatus } from '../../../src/scsi/types.js';
import { A, B, exec, makeLu, register } from './helpers.js';

const RESERVE6 = [0x16, 0, 0, 0, 0, 0];
const RELEASE6 = [0x17, 0, 0, 0, 0, 0];
const RESERVE10 = [0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0];

describe('RESERVE / RELEASE (6) and (10)', () => {
  it('a reservation by A makes B conflict on everything but always-allowed commands', async () => {
    const lu = await makeLu();
    expect((await exec(lu, A, RESERVE6)).status).toBe(ScsiStatus.GOOD);
    expect((await exec(lu, A, RESERVE6)).status).toBe(ScsiStatus.GOOD);
    expect((await exec(lu, B, RESERVE6)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect(lu.reservations.conflicts(B, ConflictClass.Read)).toBe(true);
    expect(lu.reservations.conflicts(B, ConflictClass.Exclusive)).toBe(true);
    expect(lu.reservations.conflicts(B, ConflictClass.PersistentReserve)).toBe(true);
    expect(lu.reservations.conflicts(B, ConflictClass.Allowed)).toBe(false);
    expect(lu.reservations.conflicts(A, ConflictClass.Write)).toBe(false);
  });

  it('RELEASE by a non-holder is a GOOD no-op; by the holder it frees the LU', async () => {
    const lu = await makeLu();
    await exec(lu, A, RESERVE6);
    expect((await exec(lu, B, RELEASE6)).status).toBe(ScsiStatus.GOOD);
    expect(lu.reservations.conflicts(B, ConflictClass.Write)).toBe(true);
    expect((await exec(lu, A, RELEASE6)).status).toBe(ScsiStatus.GOOD);
    expect((await exec(lu, B, RESERVE10)).status).toBe(ScsiStatus.GOOD);
    expect(lu.reservations.conflicts(A, ConflictClass.Write)).toBe(true);
  });

  it('a reset drops it, and so does the loss of the holding nexus', async () => {
    const lu = await makeLu();
    await exec(lu, A, RESERVE6);
    lu.reservations.onReset();
    expect(lu.reservations.conflicts(B, ConflictClass.Write)).toBe(false);
    await exec(lu, A, RESERVE6);
    lu.reservations.onNexusLoss(B);
    expect(lu.reservations.conflicts(B, ConflictClass.Write)).toBe(true);
    lu.reservations.onNexusLoss(A);
    expect(lu.reservations.conflicts(B, ConflictClass.Write)).toBe(false);
  });

  it('RESERVE conflicts while persistent registrations exist', async () => {
    const lu = await makeLu();
    await register(lu, B, 0xbbn);
    const r = await exec(lu, A, RESERVE6);
    expect(r.status).toBe(ScsiStatus.RESERVATION_CONFLICT);
  });

  it('extents and third-party reservations are invalid CDB fields', async () => {
    const lu = await makeLu();
    expect((await exec(lu, A, [0x16, 0x01, 0, 0, 0, 0])).sense!.field).toMatchObject({ byte: 1, bit: 0 });
    expect((await exec(lu, A, [0x56, 0x10, 0, 0, 0, 0, 0, 0, 0, 0])).sense!.field).toMatchObject({ byte: 1, bit: 4 });
  });
});

describe('RELEASE alongside persistent registrations', () => {
  it('conflicts for an unregistered nexus and is a GOOD no-op for a registered one', async () => {
    const lu = await makeLu();
    await register(lu, B, 0xbbn);
    expect((await exec(lu, A, RELEASE6)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect((await exec(lu, B, RELEASE6)).status).toBe(ScsiStatus.GOOD);
  });
});
