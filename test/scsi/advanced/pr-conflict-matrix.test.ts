import { describe, expect, it } from 'vitest';
import { ConflictClass } from '../../../src/scsi/types.js';
import { A, B, C, SA, makeLu, prOut, register } from './helpers.js';

/** [type, registered-other read ok, write ok, unregistered read ok, write ok] per SPC-4 Table 62. */
const MATRIX: Array<[string, number, boolean, boolean, boolean, boolean]> = [
  ['WRITE EXCLUSIVE', 1, true, false, true, false],
  ['EXCLUSIVE ACCESS', 3, false, false, false, false],
  ['WRITE EXCLUSIVE - REGISTRANTS ONLY', 5, true, true, true, false],
  ['EXCLUSIVE ACCESS - REGISTRANTS ONLY', 6, true, true, false, false],
  ['WRITE EXCLUSIVE - ALL REGISTRANTS', 7, true, true, true, false],
  ['EXCLUSIVE ACCESS - ALL REGISTRANTS', 8, true, true, false, false],
];

describe('persistent reservation conflict matrix', () => {
  it.each(MATRIX)('%s', async (_name, type, regRead, regWrite, unregRead, unregWrite) => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    await prOut(lu, A, SA.RESERVE, type, 0xaan);
    const r = lu.reservations;
    // The holder may do anything.
    for (const cls of [ConflictClass.Read, ConflictClass.Write, ConflictClass.Exclusive]) expect(r.conflicts(A, cls)).toBe(false);
    expect(r.conflicts(B, ConflictClass.Read)).toBe(!regRead);
    expect(r.conflicts(B, ConflictClass.Write)).toBe(!regWrite);
    expect(r.conflicts(B, ConflictClass.Exclusive)).toBe(!regWrite);
    expect(r.conflicts(C, ConflictClass.Read)).toBe(!unregRead);
    expect(r.conflicts(C, ConflictClass.Write)).toBe(!unregWrite);
    // Always-allowed commands and PR IN/OUT never conflict with a persistent reservation.
    for (const n of [B, C]) {
      expect(r.conflicts(n, ConflictClass.Allowed)).toBe(false);
      expect(r.conflicts(n, ConflictClass.PersistentReserve)).toBe(false);
    }
  });

  it('registrations alone (no reservation) restrict no command class', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    for (const cls of [ConflictClass.Read, ConflictClass.Write, ConflictClass.Exclusive]) {
      expect(lu.reservations.conflicts(C, cls)).toBe(false);
    }
  });
});
