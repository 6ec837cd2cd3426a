import { randomBytes } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native, type NativeError } from '../../src/native/index.js';
import { openTempImage } from './temp-file.js';

type BatchErrors = Array<NativeError | null> | undefined;

function batch(fd: number, bufs: Buffer[], offsets: number[], flags: number[]): Promise<BatchErrors> {
  return new Promise((resolve) =>
    native.transferBatch(fd, bufs, Float64Array.from(offsets), Uint8Array.from(flags), (_err, errors) => resolve(errors)),
  );
}

describe('transferBatch', () => {
  const image = openTempImage('batch', 1 << 20);

  it('runs writes then reads of one batch in order, reporting no errors', async () => {
    const a = randomBytes(4096);
    const b = randomBytes(4096);
    const back = Buffer.alloc(4096);
    // Two writes to the same offset: the later one wins; the read after them sees it.
    const errors = await batch(image.fd, [a, b, back], [8192, 8192, 8192], [1, 3, 0]);
    expect(errors).toBeUndefined();
    expect(back.equals(b)).toBe(true);
  });

  it('several FUA writes in one batch (one shared flush) all land, in order, among plain ops', async () => {
    const datas = Array.from({ length: 6 }, () => randomBytes(4096));
    const back = Buffer.alloc(4096);
    const errors = await batch(image.fd, [...datas, back], [0, 4096, 8192, 12288, 16384, 16384, 16384], [3, 1, 3, 3, 1, 3, 0]);
    expect(errors).toBeUndefined();
    expect(back.equals(datas[5]!)).toBe(true);
    const first = Buffer.alloc(4096 * 4);
    await batch(image.fd, [first], [0], [0]);
    expect(first.equals(Buffer.concat(datas.slice(0, 4)))).toBe(true);
  });

  it('a FUA write that fails in a shared-flush batch reports its own error, the others none', async () => {
    const readOnlyFd = openSync(image.path, 'r');
    try {
      const errors = await batch(readOnlyFd, [Buffer.alloc(512, 1), Buffer.alloc(512, 2), Buffer.alloc(512)], [0, 512, 0], [3, 3, 0]);
      expect(errors).toHaveLength(3);
      expect(errors![0]!.code).toBe('EBADF');
      expect(errors![1]!.code).toBe('EBADF');
      expect(errors![2]).toBeNull();
    } finally {
      closeSync(readOnlyFd);
    }
  });

  it('reports an errno error for the failing op only', async () => {
    const readOnlyFd = openSync(image.path, 'r');
    try {
      const back = Buffer.alloc(512);
      const errors = await batch(readOnlyFd, [Buffer.alloc(512, 1), back], [0, 0], [1, 0]);
      expect(errors).toHaveLength(2);
      expect(errors![0]!.code).toBe('EBADF');
      expect(errors![0]!.syscall).toBe('pwrite');
      expect(errors![1]).toBeNull();
    } finally {
      closeSync(readOnlyFd);
    }
  });

  it('rejects mismatched lengths, bad offsets and unknown flags synchronously', () => {
    const cb = () => {};
    expect(() => native.transferBatch(image.fd, [Buffer.alloc(1)], new Float64Array(2), new Uint8Array(1), cb)).toThrow(RangeError);
    expect(() => native.transferBatch(image.fd, [Buffer.alloc(1)], Float64Array.of(-1), new Uint8Array(1), cb)).toThrow(RangeError);
    expect(() => native.transferBatch(image.fd, [Buffer.alloc(1)], Float64Array.of(1.5), new Uint8Array(1), cb)).toThrow(RangeError);
    expect(() => native.transferBatch(image.fd, [Buffer.alloc(1)], new Float64Array(1), Uint8Array.of(4), cb)).toThrow(RangeError);
    expect(() => native.transferBatch(image.fd, ['x' as unknown as Buffer], new Float64Array(1), new Uint8Array(1), cb)).toThrow(TypeError);
    expect(() => native.transferBatch(image.fd, [Buffer.alloc(1)], [0] as unknown as Float64Array, new Uint8Array(1), cb)).toThrow(TypeError);
  });
});
