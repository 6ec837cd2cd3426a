import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native, pread, pwrite } from '../../src/native/index.js';
import { makeTempDir } from './temp-file.js';

const IN_FLIGHT = 64;
const SLOT = 128 * 1024;

describe('many I/Os in flight', () => {
  const temp = makeTempDir('conc');
  let fd: number;
  beforeAll(() => {
    fd = native.open(temp.file('image'), { create: IN_FLIGHT * SLOT }).fd;
  });
  afterAll(() => {
    native.close(fd);
    temp.remove();
  });

  it(`completes ${IN_FLIGHT} concurrent writes then ${IN_FLIGHT} concurrent reads correctly`, async () => {
    const payloads = Array.from({ length: IN_FLIGHT }, () => randomBytes(SLOT));
    await Promise.all(payloads.map((p, i) => pwrite(fd, p, i * SLOT, i % 4 === 0)));
    const backs = payloads.map(() => Buffer.alloc(SLOT));
    await Promise.all(backs.map((b, i) => pread(fd, b, i * SLOT)));
    backs.forEach((b, i) => expect(b.equals(payloads[i]!)).toBe(true));
  });

  it('keeps each Buffer alive while its I/O runs even if the caller drops it', async () => {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < IN_FLIGHT; i++) pending.push(pwrite(fd, Buffer.alloc(SLOT, i), i * SLOT));
    (globalThis as { gc?: () => void }).gc?.();
    await Promise.all(pending);
    const back = Buffer.alloc(SLOT);
    await pread(fd, back, 37 * SLOT);
    expect(back.every((b) => b === 37)).toBe(true);
  });
});
