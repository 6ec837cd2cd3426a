import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { fdatasync, isNativeError, native, pread, pwrite } from '../../src/native/index.js';
import { makeTempDir } from './temp-file.js';

const BAD_FD = 1_000_000;

describe('native errors carry errno code and number', () => {
  const temp = makeTempDir('err');
  afterAll(() => temp.remove());

  it('pread on a bad fd fails with EBADF', async () => {
    const err = await pread(BAD_FD, Buffer.alloc(10), 0).catch((e: unknown) => e);
    expect(isNativeError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'EBADF', errno: 9, syscall: 'pread' });
  });

  it('fdatasync on a bad fd fails with EBADF', async () => {
    await expect(fdatasync(BAD_FD)).rejects.toMatchObject({ code: 'EBADF', errno: 9 });
  });

  it('writing through a read-only descriptor fails with EBADF', async () => {
    const path = temp.file('ro');
    writeFileSync(path, Buffer.alloc(4096));
    const { fd } = native.open(path, { readOnly: true });
    try {
      await expect(pwrite(fd, Buffer.alloc(512, 1), 0)).rejects.toMatchObject({ code: 'EBADF', syscall: 'pwrite' });
      await expect(pwrite(fd, Buffer.alloc(512, 1), 0, true)).rejects.toMatchObject({ code: 'EBADF' });
    } finally {
      native.close(fd);
    }
  });

  it('open of a missing file without create throws ENOENT', () => {
    expect(() => native.open(temp.file('missing'), {})).toThrow(expect.objectContaining({ code: 'ENOENT', errno: 2 }));
  });

  it('open of a missing file read-only does not create it', () => {
    expect(() => native.open(temp.file('missing-ro'), { readOnly: true, create: 4096 })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });

  it('open of a directory is refused as neither file nor block device', () => {
    expect(() => native.open(temp.dir, { readOnly: true })).toThrow(expect.objectContaining({ code: 'ENOTBLK' }));
  });

  it('close of a bad fd throws EBADF', () => {
    expect(() => native.close(BAD_FD)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
