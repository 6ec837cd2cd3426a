import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { MEMORY_CHUNK_SIZE } from '../../../src/block/memory-store.js';
import { A, exec, getLbaStatusCdb, makeLu, unmapCdb, unmapParams } from './helpers.js';

function descriptors(d: Buffer): Array<{ lba: number; blocks: number; status: number }> {
  const out = [];
  for (let off = 8; off + 16 <= d.length; off += 16) {
    out.push({ lba: Number(d.readBigUInt64BE(off)), blocks: d.readUInt32BE(off + 8), status: d[off + 12]! & 0x0f });
  }
  return out;
}

describe('GET LBA STATUS', () => {
  const per = MEMORY_CHUNK_SIZE / 512;

  it('reports a deallocated extent after UNMAP, then the mapped rest', async () => {
    const lu = await makeLu({ blocks: 8 * per });
    await lu.device.write(Buffer.alloc(4 * MEMORY_CHUNK_SIZE, 1), 0);
    const p = unmapParams([[per, per]]);
    await exec(lu, A, unmapCdb(p.length), p);
    const r = await exec(lu, A, getLbaStatusCdb(0, 8 + 16 * 4));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.data!.readUInt32BE(0)).toBe(4 + 16 * 4);
    expect(descriptors(r.data!)).toEqual([
      { lba: 0, blocks: per, status: 0 },
      { lba: per, blocks: per, status: 1 },
      { lba: 2 * per, blocks: 2 * per, status: 0 },
      { lba: 4 * per, blocks: 4 * per, status: 1 },
    ]);
  });

  it('the first descriptor starts at the requested LBA', async () => {
    const lu = await makeLu({ blocks: 4 * per });
    await lu.device.write(Buffer.alloc(MEMORY_CHUNK_SIZE, 1), 0);
    const r = await exec(lu, A, getLbaStatusCdb(5, 24));
    expect(descriptors(r.data!)).toEqual([{ lba: 5, blocks: per - 5, status: 0 }]);
  });

  it('truncates to the allocation length without changing PARAMETER DATA LENGTH', async () => {
    const lu = await makeLu({ blocks: 4 * per });
    const r = await exec(lu, A, getLbaStatusCdb(0, 4));
    expect(r.data!.length).toBe(4);
    expect(r.data!.readUInt32BE(0)).toBe(20);
  });

  it('a starting LBA past the last is LBA OUT OF RANGE', async () => {
    const lu = await makeLu({ blocks: 128 });
    expect((await exec(lu, A, getLbaStatusCdb(128, 24))).sense!.asc).toEqual([0x21, 0x00]);
    expect((await exec(lu, A, getLbaStatusCdb(127, 24))).status).toBe(ScsiStatus.GOOD);
  });
});
