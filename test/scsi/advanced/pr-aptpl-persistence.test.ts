import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prStatePath } from '../../../src/scsi/reservations/persistence.js';
import { ConflictClass } from '../../../src/scsi/types.js';
import { A, C, SA, makeLu, makeNexus, prOut, readKeys, readReservation, register, tempDir } from './helpers.js';

describe('APTPL: persistent reservations survive re-creating the LU', () => {
  it('registrations and the reservation are reloaded when APTPL was set', async () => {
    const metaDir = tempDir();
    const lu = await makeLu({ metaDir });
    await register(lu, A, 0xaan, 0x01);
    await prOut(lu, A, SA.RESERVE, 3, 0xaan);
    const gen = (await readKeys(lu, A)).generation;
    expect(existsSync(prStatePath(metaDir, 0))).toBe(true);

    const again = await makeLu({ metaDir });
    expect((await readKeys(again, C)).keys).toEqual([0xaan]);
    expect((await readKeys(again, C)).generation).toBe(gen);
    expect(await readReservation(again, C)).toEqual({ key: 0xaan, type: 3 });
    // A fresh Nexus object for the same initiator port is still the holder.
    const sameA = makeNexus(A.initiatorName, A.isid);
    expect(again.reservations.conflicts(sameA, ConflictClass.Write)).toBe(false);
    expect(again.reservations.conflicts(C, ConflictClass.Read)).toBe(true);
  });

  it('without APTPL nothing is saved, and clearing APTPL removes an earlier save', async () => {
    const metaDir = tempDir();
    const lu = await makeLu({ metaDir });
    await register(lu, A, 0xaan);
    expect(existsSync(prStatePath(metaDir, 0))).toBe(false);
    await register(lu, A, 0xabn, 0x01);
    expect(existsSync(prStatePath(metaDir, 0))).toBe(true);
    await register(lu, A, 0xacn, 0x00);
    expect(existsSync(prStatePath(metaDir, 0))).toBe(false);
    expect((await readKeys(await makeLu({ metaDir }), C)).keys).toEqual([]);
  });
});

describe('APTPL save failure', () => {
  it('is reported as HARDWARE ERROR / INTERNAL TARGET FAILURE, not thrown raw', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const parent = tempDir();
    const blocker = join(parent, 'not-a-dir');
    writeFileSync(blocker, 'x');
    // metaDir beneath a regular file: mkdir/open fail.
    const lu = await makeLu({ metaDir: join(blocker, 'meta') });
    const r = await register(lu, A, 0xaan, 0x01);
    expect(r.sense?.key).toBe(0x04);
    expect(r.sense?.asc).toEqual([0x44, 0x00]);
  });
});
