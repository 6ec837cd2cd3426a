import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { parseOverwriteParameters } from '../../../src/scsi/sanitize/overwrite-parameters.js';
import { SenseError } from '../../../src/scsi/sense.js';
import { fieldPointerOf, senseOf } from '../helpers.js';
import { BLOCK, SA, overwriteList, sanitize, sanitizeRig } from './rig.js';

const pattern = Buffer.alloc(BLOCK, 0xaa);

describe('SANITIZE CDB validation', () => {
  it('the reserved bit 6 of byte 1 is INVALID FIELD IN CDB pointing at it, for every service action', async () => {
    const r = await sanitizeRig();
    for (const sa of [SA.OVERWRITE, SA.BLOCK_ERASE, SA.EXIT_FAILURE_MODE]) {
      const cdb = sanitize(sa, { length: sa === SA.OVERWRITE ? BLOCK + 4 : 0 });
      cdb[1]! |= 0x40;
      const res = await r.exec(cdb);
      expect(senseOf(res)).toMatchObject({ key: 5, asc: 0x24, ascq: 0 });
      expect(fieldPointerOf(res)).toEqual({ cd: true, byte: 1, bit: 6 });
    }
  });

  it('a nonzero reserved byte 2..6 is INVALID FIELD IN CDB pointing at that byte', async () => {
    const r = await sanitizeRig();
    for (let byte = 2; byte <= 6; byte++) {
      const cdb = sanitize(SA.BLOCK_ERASE);
      cdb[byte] = byte;
      const res = await r.exec(cdb);
      expect(senseOf(res)).toMatchObject({ key: 5, asc: 0x24 });
      expect(fieldPointerOf(res)).toEqual({ cd: true, byte });
    }
  });

  it('OVERWRITE needs a parameter list length from 5 to block length + 4; others need 0 (pointer: byte 7)', async () => {
    const r = await sanitizeRig();
    const cases: [number, number][] = [
      [SA.OVERWRITE, 0],
      [SA.OVERWRITE, 4],
      [SA.OVERWRITE, BLOCK + 5],
      [SA.BLOCK_ERASE, 8],
      [SA.EXIT_FAILURE_MODE, 8],
    ];
    for (const [sa, length] of cases) {
      const res = await r.exec(sanitize(sa, { length }));
      expect(senseOf(res), `sa ${sa} length ${length}`).toMatchObject({ key: 5, asc: 0x24 });
      expect(fieldPointerOf(res)).toEqual({ cd: true, byte: 7 });
    }
  });

  it('an unsupported service action (CRYPTO ERASE, reserved codes) is INVALID FIELD IN CDB at the service action field', async () => {
    const r = await sanitizeRig();
    for (const sa of [0x00, SA.CRYPTO_ERASE, 0x04, 0x10, 0x1e]) {
      const res = await r.exec(sanitize(sa));
      expect(senseOf(res)).toMatchObject({ key: 5, asc: 0x24 });
      expect(fieldPointerOf(res)).toEqual({ cd: true, byte: 1, bit: 4 });
    }
  });

  it('BLOCK ERASE on a store that cannot deallocate is an unsupported service action', async () => {
    const { SteeredStore } = await import('./rig.js');
    const r = await sanitizeRig({ store: new SteeredStore(64 * BLOCK, { canDiscard: false }) });
    const res = await r.exec(sanitize(SA.BLOCK_ERASE));
    expect(fieldPointerOf(res)).toEqual({ cd: true, byte: 1, bit: 4 });
  });
});

describe('SANITIZE OVERWRITE parameter list', () => {
  const bad = async (list: Buffer) => {
    const r = await sanitizeRig();
    return r.exec(sanitize(SA.OVERWRITE, { length: list.length }), list);
  };

  it('OVERWRITE COUNT 0 is INVALID FIELD IN PARAMETER LIST at byte 0 bit 4', async () => {
    const res = await bad(overwriteList(pattern, { count: 0 }));
    expect(senseOf(res)).toMatchObject({ key: 5, asc: 0x26, ascq: 0 });
    expect(fieldPointerOf(res)).toEqual({ cd: false, byte: 0, bit: 4 });
  });

  it('a TEST field other than 00b is refused at byte 0 bit 6 (no test modes)', async () => {
    for (const test of [1, 2, 3]) {
      const res = await bad(overwriteList(pattern, { test }));
      expect(fieldPointerOf(res)).toEqual({ cd: false, byte: 0, bit: 6 });
    }
  });

  it('INITIALIZATION PATTERN LENGTH 0 or above the block length is refused at byte 2', async () => {
    // Both as libiscsi's Sanitize.Overwrite sends them: the list itself has a valid length.
    for (const list of [Buffer.from([1, 0, 0, 0, 0xaa, 0xaa, 0xaa, 0xaa]), Buffer.concat([Buffer.from([1, 0, (BLOCK + 4) >> 8, (BLOCK + 4) & 0xff]), Buffer.alloc(BLOCK)])]) {
      const res = await bad(list);
      expect(senseOf(res)).toMatchObject({ key: 5, asc: 0x26 });
      expect(fieldPointerOf(res)).toEqual({ cd: false, byte: 2 });
    }
  });

  it('the reserved byte 1 is refused at byte 1', async () => {
    const list = overwriteList(pattern);
    list[1] = 1;
    expect(fieldPointerOf(await bad(list))).toEqual({ cd: false, byte: 1 });
  });

  it('a pattern longer than the data sent is PARAMETER LIST LENGTH ERROR', async () => {
    const list = overwriteList(Buffer.alloc(16, 1)).subarray(0, 12);
    expect(senseOf(await bad(list))).toMatchObject({ key: 5, asc: 0x1a, ascq: 0 });
  });

  it('decodes every valid list to the fields it was built from', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 1, max: 31 }),
        fc.uint8Array({ minLength: 1, maxLength: BLOCK }),
        (invert, count, bytes) => {
          const p = parseOverwriteParameters(overwriteList(Buffer.from(bytes), { invert, count }), BLOCK);
          expect(p).toEqual({ invert, count, pattern: Buffer.from(bytes) });
        },
      ),
    );
  });

  it('never throws anything but sense data on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: BLOCK + 8 }), (bytes) => {
        try {
          const p = parseOverwriteParameters(Buffer.from(bytes), BLOCK);
          expect(p.count).toBeGreaterThanOrEqual(1);
          expect(p.pattern.length).toBeGreaterThanOrEqual(1);
          expect(p.pattern.length).toBeLessThanOrEqual(BLOCK);
        } catch (e) {
          expect(e).toBeInstanceOf(SenseError);
        }
      }),
    );
  });

  it('a valid OVERWRITE is GOOD', async () => {
    const r = await sanitizeRig();
    const list = overwriteList(pattern);
    expect((await r.exec(sanitize(SA.OVERWRITE, { length: list.length }), list)).status).toBe(ScsiStatus.GOOD);
  });
});
