import { describe, expect, it } from 'vitest';
import { writeScatteredCommand } from '../../src/initiator/cdb.js';
import { ScsiStatus } from '../../src/scsi/types.js';
import { be32, fieldPointerOf, rig, senseOf } from './helpers.js';

// LBA OUT OF RANGE carries a field pointer at the LBA that is out of range (SPC-4 §4.5.2.4.2):
// in the CDB (C/D=1), or in the parameter list at the descriptor's LBA field (C/D=0).

const BLOCKS = 64;
const lba8 = (lba: number) => [0, 0, 0, 0, ...be32(lba)];

function unmapOf(ranges: Array<[number, number]>): { cdb: number[]; data: Buffer } {
  const descriptors = ranges.flatMap(([lba, blocks]) => [...lba8(lba), ...be32(blocks), 0, 0, 0, 0]);
  const data = Buffer.from([0, 6 + descriptors.length, 0, descriptors.length, 0, 0, 0, 0, ...descriptors]);
  return { cdb: [0x42, 0, 0, 0, 0, 0, 0, 0, data.length, 0], data };
}

const scattered = writeScatteredCommand([{ lba: 1, data: Buffer.alloc(512) }, { lba: BLOCKS - 1, data: Buffer.alloc(2 * 512) }], 512);

const cases: Array<{ name: string; cdb: number[]; data?: Buffer; pointer: { cd: boolean; byte: number } }> = [
  { name: 'WRITE SAME(10), LBA past the end', cdb: [0x41, 0, ...be32(BLOCKS), 0, 0, 1, 0], data: Buffer.alloc(512), pointer: { cd: true, byte: 2 } },
  { name: 'WRITE SAME(10), zero blocks (to the end) from past the end', cdb: [0x41, 0, ...be32(BLOCKS + 1), 0, 0, 0, 0], data: Buffer.alloc(512), pointer: { cd: true, byte: 2 } },
  { name: 'WRITE SAME(16), LBA past the end', cdb: [0x93, 0, ...lba8(BLOCKS), ...be32(1), 0, 0], data: Buffer.alloc(512), pointer: { cd: true, byte: 2 } },
  { name: 'WRITE SAME(16), range crossing the end', cdb: [0x93, 0, ...lba8(BLOCKS - 1), ...be32(2), 0, 0], data: Buffer.alloc(512), pointer: { cd: true, byte: 2 } },
  { name: 'UNMAP, second descriptor past the end', ...unmapOf([[0, 1], [BLOCKS - 1, 2]]), pointer: { cd: false, byte: 8 + 16 } },
  { name: 'UNMAP, first descriptor past the end', ...unmapOf([[BLOCKS, 1]]), pointer: { cd: false, byte: 8 } },
  { name: 'WRITE SCATTERED(16), second range past the end', cdb: [...scattered.cdb], data: scattered.dataOut, pointer: { cd: false, byte: 32 + 32 } },
  { name: 'GET LBA STATUS, starting LBA past the end', cdb: [0x9e, 0x12, ...lba8(BLOCKS), ...be32(64), 0, 0], pointer: { cd: true, byte: 2 } },
];

describe.each(cases)('$name', ({ cdb, data, pointer }) => {
  it.each([false, true])('is LBA OUT OF RANGE pointing at the LBA field (descriptor sense: %s)', async (descriptorSense) => {
    const r = await rig({ advanced: true, blocks: BLOCKS });
    if (descriptorSense) {
      // Control mode page with D_SENSE set.
      const page = [0x0a, 0x0a, 0x04, 0x10, 0, 0, 0, 0, 0, 0, 0, 0];
      const list = Buffer.from([0, 0, 0, 0, ...page]);
      expect((await r.exec([0x15, 0x10, 0, 0, list.length, 0], list)).status).toBe(ScsiStatus.GOOD);
    }
    const res = await r.exec(cdb, data);
    expect(res.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(senseOf(res)).toMatchObject({ key: 0x05, asc: 0x21, ascq: 0x00, format: descriptorSense ? 0x72 : 0x70 });
    expect(fieldPointerOf(res)).toEqual({ ...pointer, bit: undefined });
  });
});
