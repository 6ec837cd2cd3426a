import { describe, expect, it } from 'vitest';
import { writeScatteredCommand } from '../../src/initiator/cdb.js';
import type { LogicalUnit } from '../../src/scsi/logical-unit.js';
import { ScsiStatus } from '../../src/scsi/types.js';
import { be32, cdbOf, nexus, rig, write10 } from './helpers.js';

// SBC-3 r36 §6.4.5 Caching mode page, WCE: "A write cache enable (WCE) bit set to zero specifies
// that the device server shall complete a WRITE command with GOOD status only after writing all
// of the data to the medium". That holds for every command that writes (COMPARE AND WRITE,
// WRITE SAME, WRITE SCATTERED, ORWRITE, UNMAP's zeroed edges, EXTENDED COPY's writes), as it
// does for WRITE: each device write is a FUA write. With WCE=1 (the default) none of them asks
// for FUA unless its FUA bit does; WRITE ATOMIC always does (its log needs it).

const BLOCK = 512;
const lba8 = (lba: number) => [0, 0, 0, 0, ...be32(lba)];
const scattered = writeScatteredCommand([{ lba: 20, data: Buffer.alloc(BLOCK, 3) }, { lba: 30, data: Buffer.alloc(2 * BLOCK, 4) }], BLOCK);

/** UNMAP of blocks 4-23: 4-7 are zeroed (under one 4 KiB discard unit), 8-23 discarded. */
const unmapList = Buffer.from([0, 22, 0, 16, 0, 0, 0, 0, ...lba8(4), ...be32(20), 0, 0, 0, 0]);

/** EXTENDED COPY of blocks 0-1 to 40-41 of the LU itself (its own NAA designator). */
function copyWithinLu(lu: LogicalUnit): Buffer {
  const naa = lu.identity.naa;
  const cscd = [0xe4, 0, 0, 0, 0x01, 0x03, 0, naa.length, ...naa, ...Array<number>(24 - naa.length).fill(0)];
  const segment = [0x02, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 2, ...lba8(0), ...lba8(40)];
  return Buffer.from([1, 0, 0, cscd.length, 0, 0, 0, 0, ...be32(segment.length), 0, 0, 0, 0, ...cscd, ...segment]);
}
const xcopyLength = 16 + 32 + 28;

/** Each medium-writing command, without FUA; block 2 holds zeroes when it runs. */
const commands: Array<{ name: string; cdb: number[]; data: Buffer | ((lu: LogicalUnit) => Buffer) }> = [
  { name: 'WRITE(10)', cdb: write10(1, 1), data: Buffer.alloc(BLOCK, 1) },
  { name: 'COMPARE AND WRITE', cdb: [0x89, 0, ...lba8(2), 0, 0, 0, 1, 0, 0], data: Buffer.concat([Buffer.alloc(BLOCK), Buffer.alloc(BLOCK, 7)]) },
  { name: 'WRITE SAME(10)', cdb: [0x41, 0, ...be32(4), 0, 0, 4, 0], data: Buffer.alloc(BLOCK, 9) },
  { name: 'WRITE SAME(16)', cdb: [0x93, 0, ...lba8(4), ...be32(4), 0, 0], data: Buffer.alloc(BLOCK, 9) },
  // Zeroes with UNMAP: deallocated, its unaligned edges written with zeroes.
  { name: 'WRITE SAME(16) UNMAP', cdb: [0x93, 0x08, ...lba8(4), ...be32(20), 0, 0], data: Buffer.alloc(BLOCK) },
  { name: 'WRITE SCATTERED(16)', cdb: [...scattered.cdb], data: scattered.dataOut },
  { name: 'ORWRITE(16)', cdb: [0x8b, 0, ...lba8(3), ...be32(1), 0, 0], data: Buffer.alloc(BLOCK, 0x11) },
  { name: 'UNMAP', cdb: [0x42, 0, 0, 0, 0, 0, 0, 0, unmapList.length, 0], data: unmapList },
  { name: 'EXTENDED COPY', cdb: [0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...be32(xcopyLength), 0, 0], data: copyWithinLu },
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

async function run(r: Awaited<ReturnType<typeof rigWithWce>>, cdb: number[], dataOrBuild: Buffer | ((lu: LogicalUnit) => Buffer)): Promise<number> {
  const data = typeof dataOrBuild === 'function' ? dataOrBuild(r.lu) : dataOrBuild;
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

describe('WRITE ATOMIC(16)', () => {
  it.each([false, true])('with WCE=%s, writes through: every device write is FUA', async (wce) => {
    const r = await rigWithWce(wce);
    expect(await run(r, [0x9c, 0, ...lba8(8), 0, 0, 0, 2, 0, 0], Buffer.alloc(2 * BLOCK, 5))).toBe(ScsiStatus.GOOD);
    expect(r.fua.length).toBeGreaterThan(0);
    expect(r.fua.every(Boolean)).toBe(true);
  });
});

// A discard is not a write and takes no FUA: with WCE=0 the deallocation itself must reach
// the medium before GOOD (a punched hole is file-system metadata until synced), so a flush
// follows it; with WCE=1 the host's SYNCHRONIZE CACHE does that.
describe.each([
  { name: 'UNMAP', cdb: [0x42, 0, 0, 0, 0, 0, 0, 0, unmapList.length, 0], data: unmapList },
  { name: 'WRITE SAME(16) UNMAP', cdb: [0x93, 0x08, ...lba8(4), ...be32(20), 0, 0], data: Buffer.alloc(BLOCK) },
])('$name discards', ({ cdb, data }) => {
  async function discardsAndFlushes(wce: boolean): Promise<string[]> {
    const r = await rigWithWce(wce);
    expect(r.store.canDiscard).toBe(true);
    const calls: string[] = [];
    const discard = r.store.discard.bind(r.store);
    const flush = r.store.flush.bind(r.store);
    r.store.discard = (offset, length) => {
      calls.push('discard');
      return discard(offset, length);
    };
    r.store.flush = () => {
      calls.push('flush');
      return flush();
    };
    expect(await run(r, cdb, data)).toBe(ScsiStatus.GOOD);
    return calls;
  }

  it('with WCE=0, flushes after the discard before GOOD', async () => {
    const calls = await discardsAndFlushes(false);
    expect(calls).toContain('discard');
    expect(calls.lastIndexOf('flush')).toBeGreaterThan(calls.lastIndexOf('discard'));
  });

  it('with WCE=1, does not flush', async () => {
    const calls = await discardsAndFlushes(true);
    expect(calls).toContain('discard');
    expect(calls).not.toContain('flush');
  });
});
