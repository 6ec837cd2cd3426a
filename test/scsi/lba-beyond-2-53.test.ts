/**
 * The block commands carry LBAs as numbers (no BigInt per I/O). A 16-byte CDB's LBA can
 * exceed 2^53, where numbers lose precision: such an LBA, whatever its low bits, must be
 * refused exactly as before, LBA OUT OF RANGE pointing at the LBA field, never rounded or
 * truncated into a block the medium has.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../src/scsi/types.js';
import { fieldPointerOf, rig, senseOf } from './helpers.js';

const BLOCKS = 64;

function cdb16(opcode: number, lba: bigint, blocks: number): Buffer {
  const c = Buffer.alloc(16);
  c[0] = opcode;
  c.writeBigUInt64BE(lba, 2);
  c.writeUInt32BE(blocks, 10);
  return c;
}

const READ16 = 0x88;
const WRITE16 = 0x8a;

/** LBAs of 2^53 and more whose low 32 or 53 bits name a block the medium has. */
const beyond = [2n ** 53n, 2n ** 53n + 1n, 2n ** 53n + 5n, 2n ** 63n + 5n, 2n ** 64n - 2n, 2n ** 32n + 5n, 2n ** 53n - 1n];

describe('LBAs at and beyond 2^53', () => {
  it.each(beyond)('READ(16) and WRITE(16) at LBA %s are LBA OUT OF RANGE at byte 2', async (lba) => {
    const { exec, store } = await rig({ blocks: BLOCKS });
    for (const [opcode, data] of [
      [READ16, undefined],
      [WRITE16, Buffer.alloc(512, 0xee)],
    ] as const) {
      const r = await exec(cdb16(opcode, lba, 1), data);
      expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
      expect(senseOf(r)).toMatchObject({ key: 0x05, asc: 0x21, ascq: 0x00 });
      expect(fieldPointerOf(r)).toMatchObject({ cd: true, byte: 2 });
    }
    // Nothing was written anywhere (a truncated LBA would have landed in the medium).
    const image = Buffer.alloc(BLOCKS * 512);
    await store.read(image, 0);
    expect(image.every((b) => b === 0)).toBe(true);
  });

  it('the LU refuses a bigint or a rounded number LBA of 2^53 or more', async () => {
    const { lu } = await rig({ blocks: BLOCKS });
    expect(() => lu.checkRange(2n ** 53n + 1n, 1, 2)).toThrow();
    expect(() => lu.checkRange(2 ** 53, 0, 2)).toThrow();
    expect(() => lu.checkRange(Number(2n ** 64n - 1n), 1, 2)).toThrow();
    expect(lu.checkRange(BigInt(BLOCKS - 1), 1, 2)).toBe(BLOCKS - 1);
    expect(lu.checkRange(BLOCKS - 1, 1, 2)).toBe(BLOCKS - 1);
  });

  it('any 64-bit LBA is in range exactly when the bigint arithmetic says so', async () => {
    const { exec } = await rig({ blocks: BLOCKS });
    const lba = fc.oneof(fc.bigInt({ min: 0n, max: BigInt(BLOCKS + 2) }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
    await fc.assert(
      fc.asyncProperty(lba, fc.integer({ min: 0, max: 4 }), async (l, blocks) => {
        const inRange = l + BigInt(blocks) <= BigInt(BLOCKS) && (blocks > 0 || l < BigInt(BLOCKS));
        const r = await exec(cdb16(READ16, l, blocks));
        if (inRange) expect(r.status).toBe(ScsiStatus.GOOD);
        else expect(senseOf(r)).toMatchObject({ key: 0x05, asc: 0x21 });
      }),
      { numRuns: 300 },
    );
  });
});
