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

describe('GET LBA STATUS from a store that maps many extents per call', () => {
  // Bytes: mapped [0, 1024), sub-block pieces in block 2 (a hole, 20 bytes mapped), a hole to 4096, mapped to 8192, a hole to the end.
  const layout = [
    { offset: 0, length: 1024, mapped: true },
    { offset: 1024, length: 256, mapped: false },
    { offset: 1280, length: 20, mapped: true },
    { offset: 1300, length: 2796, mapped: false },
    { offset: 4096, length: 4096, mapped: true },
  ];
  const SIZE = 64 * 512;
  const extentsFrom = (offset: number, maxLength: number) => {
    const all = [...layout, { offset: 8192, length: SIZE - 8192, mapped: false }];
    const end = Math.min(offset + maxLength, SIZE);
    return all
      .filter((e) => e.offset + e.length > offset && e.offset < end)
      .map((e) => {
        const from = Math.max(e.offset, offset);
        return { offset: from, length: Math.min(e.offset + e.length, end) - from, mapped: e.mapped };
      });
  };

  async function statusOf(withMap: boolean): Promise<Array<{ lba: number; blocks: number; status: number }>> {
    const lu = await makeLu({ blocks: 64 });
    const device = lu.device as unknown as Record<string, unknown>;
    device.allocation = async (offset: number, maxLength: number) => {
      const first = extentsFrom(offset, maxLength)[0]!;
      return { mapped: first.mapped, length: first.length };
    };
    if (withMap) device.allocationMap = async (offset: number, maxLength: number) => extentsFrom(offset, maxLength);
    const r = await exec(lu, A, getLbaStatusCdb(0, 8 + 16 * 16));
    expect(r.status).toBe(ScsiStatus.GOOD);
    return descriptors(r.data!);
  }

  it('reports what one extent at a time reports, a sub-block answer covering its whole block', async () => {
    // Block 2 answers for its start (a hole); the map's next piece (mapped, inside block 2) is behind the walk and not taken.
    const expected = [
      { lba: 0, blocks: 2, status: 0 },
      { lba: 2, blocks: 6, status: 1 },
      { lba: 8, blocks: 8, status: 0 },
      { lba: 16, blocks: 48, status: 1 },
    ];
    expect(await statusOf(false)).toEqual(expected);
    expect(await statusOf(true)).toEqual(expected);
  });
});

describe('GET LBA STATUS over a fragmented store', () => {
  it('walks no more extents than the descriptors it reports (and the one that ends the walk)', async () => {
    const lu = await makeLu({ blocks: 1024 });
    // 512 one-block extents, mapped and not by turns; the store hands out what it is asked for (512 at most, as a file does).
    const extentsFrom = (offset: number, maxLength: number, maxExtents = 512) => {
      const out = [];
      for (let at = offset; at < offset + maxLength && out.length < Math.min(maxExtents, 512); at += 1024) {
        out.push({ offset: at, length: Math.min(1024, offset + maxLength - at), mapped: at % 2048 === 0 });
      }
      return out;
    };
    let handedOut = 0;
    const device = lu.device as unknown as Record<string, unknown>;
    device.allocationMap = async (offset: number, maxLength: number, maxExtents?: number) => {
      const map = extentsFrom(offset, maxLength, maxExtents);
      handedOut += map.length;
      return map;
    };
    const r = await exec(lu, A, getLbaStatusCdb(0, 8 + 16 * 4));
    expect(descriptors(r.data!)).toEqual([
      { lba: 0, blocks: 2, status: 0 },
      { lba: 2, blocks: 2, status: 1 },
      { lba: 4, blocks: 2, status: 0 },
      { lba: 6, blocks: 2, status: 1 },
    ]);
    expect(handedOut).toBeLessThanOrEqual(5);
  });
});
