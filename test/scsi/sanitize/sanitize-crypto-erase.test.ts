/**
 * SANITIZE CRYPTO ERASE on an encrypted LU (its data at rest under a media key): listed by
 * REPORT SUPPORTED OPERATION CODES, announced by WACEREQ 01b, and carried out by replacing
 * the key, after which what was written reads as something else (reads succeed) while
 * unwritten blocks still read as zeroes. Its parameter list must be empty.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { EncryptedDevice } from '../../../src/block/encrypted-device.js';
import { MediaKey } from '../../../src/block/media-key.js';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { be32, fieldPointerOf, senseOf } from '../helpers.js';
import { BLOCK, SA, metaDir, sanitize, sanitizeRig, settle } from './rig.js';

const rsoc = (options: number, opcode = 0, sa = 0) => [0xa3, 0x0c, options, opcode, sa >> 8, sa & 0xff, ...be32(65536), 0, 0];
const write16 = (lba: number, blocks: number) => [0x8a, 0, ...be32(0), ...be32(lba), ...be32(blocks), 0, 0];
const read16 = (lba: number, blocks: number) => [0x88, 0, ...be32(0), ...be32(lba), ...be32(blocks), 0, 0];

async function encryptedRig() {
  const dir = metaDir();
  const store = new MemoryBlockStore({ size: 64 * BLOCK });
  const device = new EncryptedDevice(store, await MediaKey.open(dir));
  return { ...(await sanitizeRig({ store: device, metaDir: dir, mediaKey: device.mediaKey })), raw: store };
}

describe('SANITIZE CRYPTO ERASE on an encrypted LU', () => {
  it('is listed (with its CDB usage) and WACEREQ is 01b', async () => {
    const r = await encryptedRig();
    const one = (await r.exec(rsoc(2, 0x48, SA.CRYPTO_ERASE))).dataIn!;
    expect(one[1]! & 7).toBe(3);
    expect([...one.subarray(4, 14)]).toEqual([0x48, 0xa3, 0, 0, 0, 0, 0, 0xff, 0xff, 0]);
    const b1 = (await r.exec([0x12, 1, 0xb1, 0, 64, 0])).dataIn!;
    expect((b1[7]! >> 4) & 3).toBe(1);
  });

  it('replaces the key: written blocks read as something else, unwritten ones as zeroes, and reads succeed', async () => {
    const r = await encryptedRig();
    const data = Buffer.alloc(8 * BLOCK, 'a');
    expect((await r.exec(write16(0, 8), data)).status).toBe(ScsiStatus.GOOD);
    expect((await r.exec(read16(0, 8))).dataIn).toEqual(data);
    // On the store, the data is not there in the clear.
    const raw = Buffer.alloc(8 * BLOCK);
    await r.raw.read(raw, 0);
    expect(raw.includes(Buffer.alloc(16, 'a'))).toBe(false);

    expect((await r.exec(sanitize(SA.CRYPTO_ERASE))).status).toBe(ScsiStatus.GOOD);
    await settle(r.lu);
    const after = await r.exec(read16(0, 8));
    expect(after.status).toBe(ScsiStatus.GOOD);
    for (let b = 0; b < 8; b++) expect(after.dataIn!.subarray(b * BLOCK, (b + 1) * BLOCK).equals(data.subarray(0, BLOCK))).toBe(false);
    expect((await r.exec(read16(32, 8))).dataIn).toEqual(Buffer.alloc(8 * BLOCK));
    // The LU goes on working under the new key.
    expect((await r.exec(write16(0, 8), data)).status).toBe(ScsiStatus.GOOD);
    expect((await r.exec(read16(0, 8))).dataIn).toEqual(data);
  });

  it('a parameter list length other than 0 is INVALID FIELD IN CDB at byte 7', async () => {
    const r = await encryptedRig();
    const res = await r.exec(sanitize(SA.CRYPTO_ERASE, { length: 8 }), Buffer.alloc(8));
    expect(senseOf(res)).toMatchObject({ key: 0x05, asc: 0x24, ascq: 0 });
    expect(fieldPointerOf(res)).toMatchObject({ cd: true, byte: 7 });
  });

  it('on an LU without a media key it is refused at the service action, as before', async () => {
    const r = await sanitizeRig();
    const res = await r.exec(sanitize(SA.CRYPTO_ERASE));
    expect(senseOf(res)).toMatchObject({ key: 0x05, asc: 0x24, ascq: 0 });
    expect(fieldPointerOf(res)).toMatchObject({ cd: true, byte: 1 });
  });
});
