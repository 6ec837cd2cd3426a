import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { native, pread, preadv, pwrite, pwritev } from '../../src/native/index.js';
import { openTempImage } from './temp-file.js';

/** Cuts `data` into consecutive views at the given (sorted, deduplicated) points. */
function split(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    parts.push(data.subarray(from, p));
    from = p;
  }
  return parts;
}

describe('preadv/pwritev', () => {
  const image = openTempImage('vec', 4 << 20);

  it('gathers pieces back to back and scatters them back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50000 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.nat((3 << 20) - 1),
        async (length, writeCuts, readCuts, offset) => {
          const data = randomBytes(length);
          await pwritev(image.fd, split(data, writeCuts), offset, offset % 2 === 0);
          const flat = Buffer.alloc(length);
          await pread(image.fd, flat, offset);
          expect(flat.equals(data)).toBe(true);
          const back = Buffer.alloc(length);
          await preadv(image.fd, split(back, readCuts), offset);
          expect(back.equals(data)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('handles more buffers than IOV_MAX', async () => {
    const parts = Array.from({ length: 2500 }, () => randomBytes(7));
    await pwritev(image.fd, parts, 100);
    const back = Array.from({ length: 2500 }, () => Buffer.alloc(7));
    await preadv(image.fd, back, 100);
    expect(Buffer.concat(back).equals(Buffer.concat(parts))).toBe(true);
  });

  it('zero-fills every buffer past end-of-file', async () => {
    await pwrite(image.fd, Buffer.alloc(10, 1), (4 << 20) - 10);
    const back = [Buffer.alloc(6, 0xff), Buffer.alloc(6, 0xff), Buffer.alloc(6, 0xff)];
    await preadv(image.fd, back, (4 << 20) - 10);
    expect([...Buffer.concat(back)]).toEqual([...Array(10).fill(1), ...Array(8).fill(0)]);
  });

  it('rejects an array holding something other than Buffers', () => {
    expect(() => native.preadv(image.fd, [Buffer.alloc(1), 'x' as unknown as Buffer], 0, () => {})).toThrow(TypeError);
  });
});
