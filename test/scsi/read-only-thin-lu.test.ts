/**
 * A read-only LU whose device reports where it reads zeroes (an exposed recovery point) is
 * served as thin provisioned: LBPME and LBPRZ in READ CAPACITY(16), thin provisioning type
 * with LBPRZ and without LBPU/LBPWS in VPD B2h, and GET LBA STATUS naming its holes, so a host
 * copying it (`qemu-img convert`) skips them. Found by hand: a 4 TiB point holding 50 MiB,
 * exposed, was all data to qemu-img. A read-only device that does not report holes stays
 * fully provisioned.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { LogicalUnit } from '../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../src/scsi/scsi-target.js';
import { TARGET, be32, cdbOf, freshMetaDir, nexus } from './helpers.js';

const BLOCK = 512;
const SIZE = 1024 * 1024;
const DATA = 64 * 1024;

async function readOnlyLu(reportsHoles: boolean) {
  const store = new MemoryBlockStore({ size: SIZE, readOnly: true });
  const device = Object.assign(Object.create(store) as MemoryBlockStore, {
    reportsHoles,
    // Data in the first 64 KiB, a hole after.
    allocation: async (offset: number, maxLength: number) =>
      offset < DATA ? { mapped: true, length: Math.min(maxLength, DATA - offset) } : { mapped: false, length: Math.min(maxLength, SIZE - offset) },
  });
  const lu = await LogicalUnit.create({ lun: 0, targetName: TARGET, device, blockSize: BLOCK, metaDir: freshMetaDir() });
  const target = new ScsiTarget(TARGET, [lu]);
  target.nexusSeen(nexus(1));
  const exec = async (cdb: number[]) => {
    const plan = target.prepare({ nexus: nexus(1), lun: 0, cdb: cdbOf(cdb), expectedLength: 1 << 16, read: true, write: false, taskAttribute: 0 });
    return plan.run(undefined);
  };
  await exec([0x00]); // POWER ON, RESET
  return exec;
}

const readCapacity16 = [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, ...be32(32), 0, 0];
const vpdB2 = [0x12, 1, 0xb2, 0, 64, 0];
const getLbaStatus = [0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, ...be32(64), 0, 0];

describe('a read-only LU', () => {
  it('that reports its holes is thin: LBPME, LBPRZ, no UNMAP, GET LBA STATUS names the hole', async () => {
    const exec = await readOnlyLu(true);
    expect((await exec(readCapacity16)).dataIn![14]).toBe(0xc0);
    const b2 = (await exec(vpdB2)).dataIn!;
    expect(b2[5]).toBe(0x04); // LBPRZ only: no LBPU, LBPWS, LBPWS10
    expect(b2[6]! & 0x07).toBe(0x02); // thin provisioned
    const s = (await exec(getLbaStatus)).dataIn!;
    const descriptors = (s.readUInt32BE(0) - 4) / 16;
    expect(descriptors).toBe(2);
    const d = (i: number) => ({ lba: Number(s.readBigUInt64BE(8 + 16 * i)), blocks: s.readUInt32BE(16 + 16 * i), status: s[20 + 16 * i]! & 0x0f });
    expect(d(0)).toEqual({ lba: 0, blocks: DATA / BLOCK, status: 0 });
    expect(d(1)).toEqual({ lba: DATA / BLOCK, blocks: (SIZE - DATA) / BLOCK, status: 1 });
  });

  it('that does not is fully provisioned', async () => {
    const exec = await readOnlyLu(false);
    expect((await exec(readCapacity16)).dataIn![14]).toBe(0);
    const b2 = (await exec(vpdB2)).dataIn!;
    expect(b2[5]).toBe(0);
    expect(b2[6]! & 0x07).toBe(0);
  });
});
