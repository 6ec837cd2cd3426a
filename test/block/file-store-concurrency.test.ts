import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { FileBlockStore } from '../../src/block/file-store.js';
import { makeTempDir } from './temp-dir.js';

const IN_FLIGHT = 64;
const SLOT = 64 * 1024;

describe('FileBlockStore under concurrency', () => {
  const temp = makeTempDir('fs-conc');
  afterAll(() => temp.remove());

  it(`${IN_FLIGHT} concurrent writes and reads all complete with the right data`, async () => {
    const store = await FileBlockStore.open({ path: temp.file('lun.img'), size: IN_FLIGHT * SLOT });
    try {
      const payloads = Array.from({ length: IN_FLIGHT }, () => randomBytes(SLOT));
      await Promise.all(payloads.map((p, i) => store.write(p, i * SLOT, i % 8 === 0)));
      const backs = payloads.map(() => Buffer.alloc(SLOT));
      await Promise.all(backs.map((b, i) => store.read(b, i * SLOT)));
      backs.forEach((b, i) => expect(b.equals(payloads[i]!)).toBe(true));
    } finally {
      await store.close();
    }
  });

  it('large writes beyond the write lane\'s jobs (held, then run) all land, beside FUA writes, and close waits for them', async () => {
    const big = 1024 * 1024;
    const count = 12;
    const path = temp.file('lane.img');
    const store = await FileBlockStore.open({ path, size: count * big });
    const payloads = Array.from({ length: count }, () => randomBytes(big));
    // Every other one FUA (never held in the lane).
    const writes = payloads.map((p, i) => store.write(p, i * big, i % 2 === 1));
    const closed = store.close();
    await Promise.all(writes);
    await closed;
    const reopened = await FileBlockStore.open({ path });
    try {
      const backs = payloads.map(() => Buffer.alloc(big));
      await Promise.all(backs.map((b, i) => reopened.read(b, i * big)));
      backs.forEach((b, i) => expect(b.equals(payloads[i]!)).toBe(true));
    } finally {
      await reopened.close();
    }
  });

  it('close waits for in-flight I/O before releasing the descriptor', async () => {
    const path = temp.file('closing.img');
    const store = await FileBlockStore.open({ path, size: IN_FLIGHT * SLOT });
    const payload = randomBytes(SLOT);
    const writes = Array.from({ length: IN_FLIGHT }, (_, i) => store.write(payload, i * SLOT));
    const closed = store.close();
    await expect(Promise.all(writes)).resolves.toBeDefined();
    await closed;
    const reopened = await FileBlockStore.open({ path });
    try {
      const back = Buffer.alloc(SLOT);
      await reopened.read(back, (IN_FLIGHT - 1) * SLOT);
      expect(back.equals(payload)).toBe(true);
    } finally {
      await reopened.close();
    }
  });
});
