import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocation, discard, fdatasync, native, pread, pwrite } from '../../src/native/index.js';
import { makeTempDir } from './temp-file.js';

const MiB = 1 << 20;

describe('native discard and allocation', () => {
  const temp = makeTempDir('space');
  const path = temp.file('image');
  let fd: number;
  beforeAll(() => {
    fd = native.open(path, { create: 4 * MiB }).fd;
  });
  afterAll(() => {
    native.close(fd);
    temp.remove();
  });

  it('reports a fresh sparse file as one hole to the end', async () => {
    expect(await allocation(fd, 0, 4 * MiB)).toEqual({ mapped: false, length: 4 * MiB });
    expect(await allocation(fd, 100, 1000)).toEqual({ mapped: false, length: 1000 });
  });

  it('reports written data as mapped and the holes around it as unmapped', async () => {
    await pwrite(fd, Buffer.alloc(MiB, 0xab), MiB);
    await fdatasync(fd);
    expect(await allocation(fd, 0, 4 * MiB)).toEqual({ mapped: false, length: MiB });
    expect(await allocation(fd, MiB, 4 * MiB)).toEqual({ mapped: true, length: MiB });
    expect(await allocation(fd, MiB + 4096, 8192)).toEqual({ mapped: true, length: 8192 });
    expect(await allocation(fd, 2 * MiB, 4 * MiB)).toEqual({ mapped: false, length: 4 * MiB });
  });

  it('punches a hole: blocks are released, size kept, reads give zeroes', async () => {
    const before = statSync(path);
    await discard(fd, MiB, MiB / 2, false);
    const after = statSync(path);
    expect(after.size).toBe(before.size);
    expect(after.blocks).toBeLessThan(before.blocks);
    const back = Buffer.alloc(MiB, 0xff);
    await pread(fd, back, MiB);
    expect(back.subarray(0, MiB / 2).every((b) => b === 0)).toBe(true);
    expect(back.subarray(MiB / 2).every((b) => b === 0xab)).toBe(true);
    expect(await allocation(fd, MiB, 4 * MiB)).toEqual({ mapped: false, length: MiB / 2 });
  });

  it('discard on a bad fd fails with EBADF', async () => {
    await expect(discard(1_000_000, 0, 4096, false)).rejects.toMatchObject({ code: 'EBADF' });
  });
});
