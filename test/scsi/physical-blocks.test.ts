import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { LogicalUnit, physicalBlockExponent } from '../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../src/scsi/scsi-target.js';
import { ScsiStatus } from '../../src/scsi/types.js';
import { TARGET, be32, cdbOf, nexus } from './helpers.js';
import { metaDir } from './sanitize/rig.js';

async function lu(blockSize: 512 | 4096, physicalBlockSize?: number) {
  const store = new MemoryBlockStore({ size: 1024 * blockSize });
  const unit = await LogicalUnit.create({ lun: 0, targetName: TARGET, device: store, blockSize, metaDir: metaDir(), physicalBlockSize });
  const target = new ScsiTarget(TARGET, [unit]);
  target.nexusSeen(nexus(1));
  return (cdb: number[]) =>
    target.prepare({ nexus: nexus(1), lun: 0, cdb: cdbOf(cdb), expectedLength: 4096, read: true, write: false, taskAttribute: 0 }).run(undefined);
}

describe('physical blocks larger than logical ones (--lun PATH,physical=4096)', () => {
  it('READ CAPACITY(16) reports LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT 3 for 4 KiB under 512 B', async () => {
    const exec = await lu(512, 4096);
    const r = await exec([0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, ...be32(32), 0, 0]);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn![13]! & 0x0f).toBe(3);
    // LOWEST ALIGNED LOGICAL BLOCK ADDRESS 0: LBA 0 starts a physical block.
    expect(r.dataIn!.readUInt16BE(14) & 0x3fff).toBe(0);
  });

  it('Block Limits VPD: transfer and unmap granularities are one physical block', async () => {
    const exec = await lu(512, 4096);
    const b0 = (await exec([0x12, 1, 0xb0, 0, 64, 0])).dataIn!;
    expect(b0.readUInt16BE(6)).toBe(8); // OPTIMAL TRANSFER LENGTH GRANULARITY
    expect(b0.readUInt32BE(28)).toBe(8); // OPTIMAL UNMAP GRANULARITY
  });

  it('defaults to one logical block per physical block', async () => {
    const exec = await lu(4096);
    const r = await exec([0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, ...be32(32), 0, 0]);
    expect(r.dataIn![13]! & 0x0f).toBe(0);
  });

  it('physicalBlockExponent accepts power-of-two multiples up to 2^15 and nothing else', () => {
    expect(physicalBlockExponent(512, 4096)).toBe(3);
    expect(physicalBlockExponent(4096, 4096)).toBe(0);
    expect(physicalBlockExponent(512, 512 << 15)).toBe(15);
    for (const bad of [256, 1000, 512 << 16]) expect(() => physicalBlockExponent(512, bad)).toThrow();
  });
});
