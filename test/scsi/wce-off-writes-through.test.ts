import { describe, expect, it } from 'vitest';
import { writeScatteredCommand } from '../../src/initiator/cdb.js';
import { ScsiStatus } from '../../src/scsi/types.js';
import { be32, cdbOf, nexus, rig, write10 } from './helpers.js';

// SBC-3 r36 §6.4.5 Caching mode page, WCE: "A write cache enable (WCE) bit set to zero specifies
// that the device server shall complete a WRITE command with GOOD status only after writing all
// of the data to the medium". That holds for every command that writes (COMPARE AND WRITE,
// WRITE SAME, WRITE SCATTERED, ORWRITE), as it does for WRITE: each device write is a FUA write.
// With WCE=1 (the default) none of them asks for FUA unless its FUA bit does.

const BLOCK = 512;
const lba8 = (lba: number) => [0, 0, 0, 0, ...be32(lba)];
const scattered = writeScatteredCommand([{ lba: 20, data: Buffer.alloc(BLOCK, 3) }, { lba: 30, data: Buffer.alloc(2 * BLOCK, 4) }], BLOCK);

/** Each medium-writing command, without FUA; block 2 holds zeroes when it runs. */
const commands: Array<{ name: string; cdb: number[]; data: Buffer }> = [
  { name: 'WRITE(10)', cdb: write10(1, 1), data: Buffer.alloc(BLOCK, 1) },
  { name: 'COMPARE AND WRITE', cdb: [0x89, 0, ...lba8(2), 0, 0, 0, 1, 0, 0], data: Buffer.concat([Buffer.alloc(BLOCK), Buffer.alloc(BLOCK, 7)]) },
  { name: 'WRITE SAME(10)', cdb: [0x41, 0, ...be32(4), 0, 0, 4, 0], data: Buffer.alloc(BLOCK, 9) },
  { name: 'WRITE SAME(16)', cdb: [0x93, 0, ...lba8(4), ...be32(4), 0, 0], data: Buffer.alloc(BLOCK, 9) },
  // Zeroes with UNMAP: deallocated, its unaligned edges written with zeroes.
  { name: 'WRITE SAME(16) UNMAP', cdb: [0x93, 0x08, ...lba8(4), ...be32(20), 0, 0], data: Buffer.alloc(BLOCK) },
  { name: 'WRITE SCATTERED(16)', cdb: [...scattered.cdb], data: scattered.dataOut },
  { name: 'ORWRITE(16)', cdb: [0x8b, 0, ...lba8(3), ...be32(1), 0, 0], data: Buffer.alloc(BLOCK, 0x11) },
];

async function rigWithWce(enabled: boolean) {
  const r = await rig({ advanced: true, blocks: 64 });
  if (!enabled) {
    const page = [0x08, 0x12, 0x00, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0];
    const list = Buffer.from([0, 0, 0, 0, ...page]);
    expect((await r.exec([0x15, 0x10, 0, 0, list.length, 0], list)).status).toBe(ScsiStatus.GOOD);
  }
  expect(r.lu.writeCacheEnabled()).toBe(enabled);
  // The FUA flag of every device write the command makes.
  const fua: boolean[] = [];
  const write = r.store.write.bind(r.store);
  r.store.write = (buf, offset, f = false) => {
    fua.push(f);
    return write(buf, offset, f);
  };
  return { ...r, fua };
}

async function run(r: Awaited<ReturnType<typeof rigWithWce>>, cdb: number[], data: Buffer): Promise<number> {
  const plan = r.target.prepare({ nexus: nexus(1), lun: 0, cdb: cdbOf(cdb), expectedLength: data.length, read: false, write: true, taskAttribute: 0 });
  return (await plan.run(data)).status;
}

describe.each(commands)('$name', ({ cdb, data }) => {
  it('with the write cache disabled (WCE=0), writes through: every device write is FUA', async () => {
    const r = await rigWithWce(false);
    expect(await run(r, cdb, data)).toBe(ScsiStatus.GOOD);
    expect(r.fua.length).toBeGreaterThan(0);
    expect(r.fua.every(Boolean)).toBe(true);
  });

  it('with the write cache enabled (WCE=1), does not ask for FUA', async () => {
    const r = await rigWithWce(true);
    expect(await run(r, cdb, data)).toBe(ScsiStatus.GOOD);
    expect(r.fua.length).toBeGreaterThan(0);
    expect(r.fua.some(Boolean)).toBe(false);
  });
});
