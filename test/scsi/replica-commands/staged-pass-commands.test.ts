import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { PassStagingLog } from '../../../src/replication/pass-staging-log.js';
import { ScsiStatus, type ScsiResult } from '../../../src/scsi/types.js';
import { PassAction, encodePassControlCdb, encodeStagedWriteCdb } from '../../../src/replica-protocol/index.js';
import { fieldPointerOf, nexus, senseOf } from '../helpers.js';
import { patterned, vendorRig } from './vendor-rig.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const control = (action: (typeof PassAction)[keyof typeof PassAction], passId: bigint) => encodePassControlCdb({ action, passId });
const staged = (lba: number, blocks: number) => encodeStagedWriteCdb({ lba: BigInt(lba), blocks });
const stagedUnmap = (lba: number, blocks: number) => encodeStagedWriteCdb({ lba: BigInt(lba), blocks, unmap: true });

function expectSense(r: ScsiResult, key: number, asc: number, ascq: number, field?: { cd: boolean; byte: number; bit?: number }) {
  expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
  expect(senseOf(r)).toMatchObject({ key, asc, ascq });
  if (field) expect(fieldPointerOf(r)).toEqual(field);
}

async function stagingRig(writer = 1, device = new MemoryBlockStore({ size: 1024 * 512 })) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-staging-'));
  dirs.push(dir);
  const passStaging = await PassStagingLog.open({ dir, device });
  const rig = await vendorRig(device, 512, { passStaging, writeAllowed: (n) => n.initiatorName === nexus(writer).initiatorName });
  return { ...rig, device, passStaging };
}

describe('PASS CONTROL and STAGED WRITE', () => {
  it('staged writes leave the image alone until COMMIT, then all of them are there', async () => {
    const { exec, device, passStaging } = await stagingRig();
    expect((await exec(control(PassAction.BEGIN, 42n))).status).toBe(ScsiStatus.GOOD);
    const a = patterned(8, 512, 1);
    const b = patterned(4, 512, 2);
    expect((await exec(staged(16, 8), a)).status).toBe(ScsiStatus.GOOD);
    expect((await exec(staged(100, 4), b)).status).toBe(ScsiStatus.GOOD);
    const before = Buffer.alloc(8 * 512);
    await device.read(before, 16 * 512);
    expect(before.equals(Buffer.alloc(8 * 512))).toBe(true);
    expect((await exec(control(PassAction.COMMIT, 42n))).status).toBe(ScsiStatus.GOOD);
    const got = Buffer.alloc(8 * 512);
    await device.read(got, 16 * 512);
    expect(got.equals(a)).toBe(true);
    const got2 = Buffer.alloc(4 * 512);
    await device.read(got2, 100 * 512);
    expect(got2.equals(b)).toBe(true);
    expect(passStaging.openPass).toBeUndefined();
    await passStaging.close();
  });

  it('STAGED WRITE with UNMAP deallocates the range at COMMIT, in staging order with the writes, not before', async () => {
    const { exec, device, passStaging } = await stagingRig();
    // 128 blocks = the store's 64 KiB allocation unit, twice over.
    await device.write(Buffer.alloc(256 * 512, 0xee), 0);
    expect(device.allocatedChunks).toBe(2);
    await exec(control(PassAction.BEGIN, 5n));
    expect((await exec(stagedUnmap(0, 256))).status).toBe(ScsiStatus.GOOD);
    const a = patterned(4, 512, 3);
    expect((await exec(staged(200, 4), a)).status).toBe(ScsiStatus.GOOD);
    // Zero blocks stage nothing, as for a write.
    expect((await exec(stagedUnmap(8, 0))).status).toBe(ScsiStatus.GOOD);
    expect(device.allocatedChunks).toBe(2);
    expect((await exec(control(PassAction.COMMIT, 5n))).status).toBe(ScsiStatus.GOOD);
    expect(device.allocatedChunks).toBe(1);
    const got = Buffer.alloc(256 * 512);
    await device.read(got, 0);
    const expected = Buffer.alloc(256 * 512);
    a.copy(expected, 200 * 512);
    expect(got.equals(expected)).toBe(true);
    await passStaging.close();
  });

  it('STAGED WRITE with UNMAP: beyond the capacity, above the UNMAP count limit, or on an image that cannot deallocate is refused', async () => {
    const { exec, lu, passStaging } = await stagingRig();
    await exec(control(PassAction.BEGIN, 1n));
    expectSense(await exec(stagedUnmap(lu.blockCount - 1, 2)), 5, 0x21, 0, { cd: true, byte: 2 });
    const other = staged(0, 1);
    other[1] = 0x10;
    expectSense(await exec(other, patterned(1)), 5, 0x24, 0, { cd: true, byte: 1 });
    await passStaging.close();
    const thick = new MemoryBlockStore({ size: 1024 * 512 });
    Object.defineProperty(thick, 'canDiscard', { value: false });
    const rig = await stagingRig(1, thick);
    await rig.exec(control(PassAction.BEGIN, 1n));
    expectSense(await rig.exec(stagedUnmap(0, 8)), 5, 0x24, 0, { cd: true, byte: 1, bit: 3 });
    await rig.passStaging.close();
    // A sparse 1 GiB image holds more than the 1 Mi blocks one UNMAP may name.
    const big = await stagingRig(1, new MemoryBlockStore({ size: 1024 ** 3 }));
    await big.exec(control(PassAction.BEGIN, 1n));
    expectSense(await big.exec(stagedUnmap(0, 1024 * 1024 + 1)), 5, 0x24, 0, { cd: true, byte: 10 });
    expect((await big.exec(stagedUnmap(0, 1024 * 1024))).status).toBe(ScsiStatus.GOOD);
    await big.passStaging.close();
  });

  it('ABORT discards the pass: nothing staged reaches the image', async () => {
    const { exec, device, passStaging } = await stagingRig();
    await exec(control(PassAction.BEGIN, 7n));
    await exec(staged(0, 2), patterned(2));
    expect((await exec(control(PassAction.ABORT, 7n))).status).toBe(ScsiStatus.GOOD);
    const got = Buffer.alloc(1024);
    await device.read(got, 0);
    expect(got.equals(Buffer.alloc(1024))).toBe(true);
    expectSense(await exec(control(PassAction.COMMIT, 7n)), 5, 0x2c, 0x00);
    await passStaging.close();
  });

  it('out-of-sequence commands get COMMAND SEQUENCE ERROR', async () => {
    const { exec, passStaging } = await stagingRig();
    expectSense(await exec(staged(0, 1), patterned(1)), 5, 0x2c, 0x00);
    expectSense(await exec(control(PassAction.COMMIT, 1n)), 5, 0x2c, 0x00);
    await exec(control(PassAction.BEGIN, 1n));
    expectSense(await exec(control(PassAction.COMMIT, 2n)), 5, 0x2c, 0x00);
    // A new BEGIN replaces the open pass.
    await exec(control(PassAction.BEGIN, 3n));
    expectSense(await exec(control(PassAction.COMMIT, 1n)), 5, 0x2c, 0x00);
    expect((await exec(control(PassAction.COMMIT, 3n))).status).toBe(ScsiStatus.GOOD);
    await passStaging.close();
  });

  it('bad fields: service action, reserved bytes, LBA range', async () => {
    const { exec, lu, passStaging } = await stagingRig();
    const bad = control(PassAction.BEGIN, 1n);
    bad[1] = 0x05;
    expectSense(await exec(bad), 5, 0x24, 0, { cd: true, byte: 1, bit: 4 });
    const reserved = control(PassAction.BEGIN, 1n);
    reserved[12] = 1;
    expectSense(await exec(reserved), 5, 0x24, 0, { cd: true, byte: 12 });
    await exec(control(PassAction.BEGIN, 1n));
    expectSense(await exec(staged(lu.blockCount - 1, 2), patterned(2)), 5, 0x21, 0, { cd: true, byte: 2 });
    await passStaging.close();
  });

  it('on a backup only the replicator may stage: others get DATA PROTECT / WRITE PROTECTED', async () => {
    const { exec, passStaging } = await stagingRig(1);
    expectSense(await exec(control(PassAction.BEGIN, 1n), undefined, nexus(2)), 7, 0x27, 0x00);
    expectSense(await exec(staged(0, 1), patterned(1), nexus(2)), 7, 0x27, 0x00);
    await passStaging.close();
  });

  it('an LU that cannot stage answers INVALID COMMAND OPERATION CODE', async () => {
    const { exec } = await vendorRig();
    expectSense(await exec(control(PassAction.BEGIN, 1n)), 5, 0x20, 0x00, { cd: true, byte: 0 });
    expectSense(await exec(staged(0, 1), patterned(1)), 5, 0x20, 0x00, { cd: true, byte: 0 });
  });
});

describe('the sg_raw example of docs/vendor-commands.md §9', () => {
  it('BEGIN, STAGED WRITE of one zero block at LBA 8, COMMIT: the block is zero afterwards, not before', async () => {
    const { exec, device, passStaging } = await stagingRig();
    const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
    await device.write(Buffer.alloc(512, 0xee), 8 * 512);
    expect((await exec(hex('c4 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00'))).status).toBe(ScsiStatus.GOOD);
    expect((await exec(hex('c5 00 00 00 00 00 00 00 00 08 00 00 00 01 00 00'), Buffer.alloc(512))).status).toBe(ScsiStatus.GOOD);
    const block = Buffer.alloc(512);
    await device.read(block, 8 * 512);
    expect(block.equals(Buffer.alloc(512, 0xee))).toBe(true);
    expect((await exec(hex('c4 01 00 00 00 00 00 00 00 01 00 00 00 00 00 00'))).status).toBe(ScsiStatus.GOOD);
    await device.read(block, 8 * 512);
    expect(block.equals(Buffer.alloc(512))).toBe(true);
    await passStaging.close();
  });

  it('BEGIN, STAGED WRITE with UNMAP of blocks 128-255, COMMIT: that allocation unit is deallocated afterwards, not before', async () => {
    const { exec, device, passStaging } = await stagingRig();
    const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
    await device.write(Buffer.alloc(256 * 512, 0xee), 0);
    expect((await exec(hex('c4 00 00 00 00 00 00 00 00 02 00 00 00 00 00 00'))).status).toBe(ScsiStatus.GOOD);
    expect((await exec(hex('c5 08 00 00 00 00 00 00 00 80 00 00 00 80 00 00'))).status).toBe(ScsiStatus.GOOD);
    expect(device.allocatedChunks).toBe(2);
    expect((await exec(hex('c4 01 00 00 00 00 00 00 00 02 00 00 00 00 00 00'))).status).toBe(ScsiStatus.GOOD);
    expect(device.allocatedChunks).toBe(1);
    const block = Buffer.alloc(512);
    await device.read(block, 128 * 512);
    expect(block.equals(Buffer.alloc(512))).toBe(true);
    await device.read(block, 127 * 512);
    expect(block.equals(Buffer.alloc(512, 0xee))).toBe(true);
    await passStaging.close();
  });
});
