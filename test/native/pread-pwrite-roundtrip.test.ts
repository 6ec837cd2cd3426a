import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native, pread, pwrite } from '../../src/native/index.js';
import { makeTempDir } from './temp-file.js';

describe('pread/pwrite round trip', () => {
  const temp = makeTempDir('rw');
  const path = temp.file('image');
  let fd: number;

  beforeAll(() => {
    fd = native.open(path, { create: 16 << 20 }).fd;
  });
  afterAll(() => {
    native.close(fd);
    temp.remove();
  });

  it('writes and reads back random data at unaligned offsets and lengths', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: (16 << 20) - 70000 }), fc.integer({ min: 1, max: 70000 }), async (offset, length) => {
        const data = randomBytes(length);
        await pwrite(fd, data, offset);
        const back = Buffer.alloc(length);
        await pread(fd, back, offset);
        expect(back.equals(data)).toBe(true);
        expect(readFileSync(path).subarray(offset, offset + length).equals(data)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('moves an 8 MiB buffer in one call', async () => {
    const data = randomBytes(8 << 20);
    await pwrite(fd, data, 4 << 20);
    const back = Buffer.alloc(8 << 20);
    await pread(fd, back, 4 << 20);
    expect(back.equals(data)).toBe(true);
  });

  it('reads into a Buffer that is a view into a larger one, touching only the view', async () => {
    const data = randomBytes(1000);
    await pwrite(fd, data, 12345);
    const outer = Buffer.alloc(3000, 0xee);
    await pread(fd, outer.subarray(1000, 2000), 12345);
    expect(outer.subarray(1000, 2000).equals(data)).toBe(true);
    expect(outer.subarray(0, 1000).every((b) => b === 0xee)).toBe(true);
    expect(outer.subarray(2000).every((b) => b === 0xee)).toBe(true);
  });

  it('fills with zeroes past end-of-file', async () => {
    const short = temp.file('short');
    writeFileSync(short, Buffer.alloc(100, 0x41));
    const shortFd = native.open(short, {}).fd;
    try {
      const back = Buffer.alloc(300, 0xff);
      await pread(shortFd, back, 50);
      expect(back.subarray(0, 50).every((b) => b === 0x41)).toBe(true);
      expect(back.subarray(50).every((b) => b === 0)).toBe(true);
      const beyond = Buffer.alloc(64, 0xff);
      await pread(shortFd, beyond, 1 << 20);
      expect(beyond.every((b) => b === 0)).toBe(true);
    } finally {
      native.close(shortFd);
    }
  });

  it('handles zero-length transfers', async () => {
    await pwrite(fd, Buffer.alloc(0), 0);
    await pread(fd, Buffer.alloc(0), 0);
  });
});
