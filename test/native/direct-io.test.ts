import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { native, pread, preadv, pwrite, pwritev } from '../../src/native/index.js';
import { makeTempDir } from './temp-file.js';

describe('O_DIRECT descriptors', () => {
  const temp = makeTempDir('direct');
  afterAll(() => temp.remove());

  function openDirect(): number | null {
    try {
      return native.open(temp.file('image'), { create: 1 << 20, direct: true }).fd;
    } catch (e) {
      if ((e as { code?: string }).code === 'EINVAL') return null; // filesystem without O_DIRECT (tmpfs)
      throw e;
    }
  }

  it('round-trips block-aligned ranges through unaligned Buffers', async (ctx) => {
    const fd = openDirect();
    // A property of the filesystem under the temp dir, not of Tandem: only EINVAL from open skips.
    if (fd === null) return ctx.skip(`the filesystem of ${temp.dir} does not support O_DIRECT (open gave EINVAL)`);
    try {
      // A view at an odd address forces the aligned bounce path.
      const backing = randomBytes(8192 + 1);
      const data = backing.subarray(1);
      await pwrite(fd, data, 4096, true);
      const back = Buffer.alloc(8192 + 3).subarray(3);
      await pread(fd, back, 4096);
      expect(back.equals(data)).toBe(true);
      const parts = [randomBytes(512), randomBytes(1536)];
      await pwritev(fd, parts, 65536);
      const vback = [Buffer.alloc(1024), Buffer.alloc(1024)];
      await preadv(fd, vback, 65536);
      expect(Buffer.concat(vback).equals(Buffer.concat(parts))).toBe(true);
    } finally {
      native.close(fd);
    }
  });
});
