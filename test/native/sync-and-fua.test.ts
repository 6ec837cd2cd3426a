import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fdatasync, native, pwrite, pwritev } from '../../src/native/index.js';
import { makeTempDir } from './temp-file.js';

describe('fdatasync and FUA writes', () => {
  const temp = makeTempDir('sync');
  const path = temp.file('image');
  let fd: number;
  beforeAll(() => {
    fd = native.open(path, { create: 1 << 20 }).fd;
  });
  afterAll(() => {
    native.close(fd);
    temp.remove();
  });

  it('fdatasync succeeds after writes', async () => {
    await pwrite(fd, Buffer.alloc(4096, 3), 0);
    await expect(fdatasync(fd)).resolves.toBeUndefined();
    expect(readFileSync(path)[0]).toBe(3);
  });

  it('FUA writes (single and vectored) land with the right content', async () => {
    await pwrite(fd, Buffer.alloc(4096, 9), 8192, true);
    await pwritev(fd, [Buffer.alloc(100, 1), Buffer.alloc(100, 2)], 20000, true);
    const file = readFileSync(path);
    expect(file.subarray(8192, 8192 + 4096).every((b) => b === 9)).toBe(true);
    expect(file.subarray(20000, 20100).every((b) => b === 1)).toBe(true);
    expect(file.subarray(20100, 20200).every((b) => b === 2)).toBe(true);
  });
});
