import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pread, pwrite } from '../../src/native/index.js';
import { openTempImage } from './temp-file.js';

const IN_FLIGHT = 64;
const SLOT = 128 * 1024;

describe('many I/Os in flight', () => {
  const image = openTempImage('conc', IN_FLIGHT * SLOT);

  it(`completes ${IN_FLIGHT} concurrent writes then ${IN_FLIGHT} concurrent reads correctly`, async () => {
    const payloads = Array.from({ length: IN_FLIGHT }, () => randomBytes(SLOT));
    await Promise.all(payloads.map((p, i) => pwrite(image.fd, p, i * SLOT, i % 4 === 0)));
    const backs = payloads.map(() => Buffer.alloc(SLOT));
    await Promise.all(backs.map((b, i) => pread(image.fd, b, i * SLOT)));
    backs.forEach((b, i) => expect(b.equals(payloads[i]!)).toBe(true));
  });

  it('keeps each Buffer alive while its I/O runs even if the caller drops it', async () => {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < IN_FLIGHT; i++) pending.push(pwrite(image.fd, Buffer.alloc(SLOT, i), i * SLOT));
    (globalThis as { gc?: () => void }).gc?.();
    await Promise.all(pending);
    const back = Buffer.alloc(SLOT);
    await pread(image.fd, back, 37 * SLOT);
    expect(back.every((b) => b === 37)).toBe(true);
  });
});
