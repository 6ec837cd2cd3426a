import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestExtents, native, sha256File } from '../../src/native/index.js';
import { makeTempDir } from './temp-file.js';
import { itXxh3 } from './xxh3-build.js';

const FILE_LENGTH = 3 * (1 << 20) + 777; // crosses the 1 MiB chunk boundary unevenly

describe('sha256File and digestExtents', () => {
  const temp = makeTempDir('digest');
  const content = randomBytes(FILE_LENGTH);
  let fd: number;
  beforeAll(() => {
    const path = temp.file('image');
    writeFileSync(path, content);
    fd = native.open(path, { readOnly: true }).fd;
  });
  afterAll(() => {
    native.close(fd);
    temp.remove();
  });

  /** The bytes the native side hashes, past EOF read as zeroes. */
  function bytesOf(offset: number, length: number): Buffer {
    const bytes = Buffer.alloc(length);
    content.copy(bytes, 0, Math.min(offset, content.length), Math.min(offset + length, content.length));
    return bytes;
  }

  function expected(offset: number, length: number): Buffer {
    return createHash('sha256').update(bytesOf(offset, length)).digest();
  }

  it('hashes the whole file and ranges that cross chunk boundaries', async () => {
    expect((await sha256File(fd, 0, FILE_LENGTH)).equals(expected(0, FILE_LENGTH))).toBe(true);
    expect((await sha256File(fd, (1 << 20) - 5, (1 << 20) + 10)).equals(expected((1 << 20) - 5, (1 << 20) + 10))).toBe(true);
    expect((await sha256File(fd, 0, 0)).equals(expected(0, 0))).toBe(true);
  });

  it('treats bytes past end-of-file as zeroes', async () => {
    expect((await sha256File(fd, FILE_LENGTH - 100, 5000)).equals(expected(FILE_LENGTH - 100, 5000))).toBe(true);
  });

  it('returns one digest per extent, in order, for random batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(FILE_LENGTH), fc.nat(300_000)), { maxLength: 20 }),
        async (extents) => {
          const digests = await digestExtents(fd, Float64Array.from(extents.flat()), 'sha256');
          expect(digests.length).toBe(extents.length * 32);
          extents.forEach(([o, l], i) => expect(digests.subarray(i * 32, i * 32 + 32).equals(expected(o, l))).toBe(true));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('accepts BigUint64Array extents', async () => {
    const digests = await digestExtents(fd, BigUint64Array.from([0n, 4096n, 8192n, 100n]), 'sha256');
    expect(digests.subarray(0, 32).equals(expected(0, 4096))).toBe(true);
    expect(digests.subarray(32).equals(expected(8192, 100))).toBe(true);
  });

  // The file path (pread in 1 MiB chunks on a worker) and the in-memory path (digestInto) must agree.
  itXxh3('xxh3: 16 bytes per extent, equal to the in-memory digest of the same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(FILE_LENGTH), fc.nat(3_000_000)), { maxLength: 8 }), async (extents) => {
        const digests = await digestExtents(fd, Float64Array.from(extents.flat()), 'xxh3');
        expect(digests.length).toBe(extents.length * 16);
        extents.forEach(([o, l], i) => {
          const memory = Buffer.alloc(16);
          native.digestInto('xxh3', [bytesOf(o, l)], memory, 0);
          expect(digests.subarray(i * 16, i * 16 + 16).equals(memory)).toBe(true);
        });
      }),
      { numRuns: 10 },
    );
  });

  it('fails with EBADF on a bad fd', async () => {
    await expect(sha256File(1_000_000, 0, 10)).rejects.toMatchObject({ code: 'EBADF' });
  });
});
