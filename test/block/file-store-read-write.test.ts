import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlockStore } from '../../src/block/file-store.js';
import { makeTempDir } from './temp-dir.js';

describe('FileBlockStore read/write', () => {
  const temp = makeTempDir('fs-rw');
  const path = temp.file('lun.img');
  let store: FileBlockStore;
  beforeAll(async () => {
    store = await FileBlockStore.open({ path, size: 16 << 20 });
  });
  afterAll(async () => {
    await store.close();
    temp.remove();
  });

  it('round-trips an 8 MiB write, plain and FUA', async () => {
    const data = randomBytes(8 << 20);
    await store.write(data, 512);
    const back = Buffer.alloc(data.length);
    await store.read(back, 512);
    expect(back.equals(data)).toBe(true);
    const fuaData = randomBytes(4096);
    await store.write(fuaData, 12 << 20, true);
    expect(readFileSync(path).subarray(12 << 20, (12 << 20) + 4096).equals(fuaData)).toBe(true);
  });

  it('round-trips vectored I/O', async () => {
    const parts = [randomBytes(512), randomBytes(1536), randomBytes(7)];
    await store.writev(parts, 4096, true);
    const back = [Buffer.alloc(1000), Buffer.alloc(1055)];
    await store.readv(back, 4096);
    expect(Buffer.concat(back).equals(Buffer.concat(parts))).toBe(true);
  });

  it('reads never-written blocks as zeroes', async () => {
    const back = Buffer.alloc(4096, 0xff);
    await store.read(back, 15 << 20);
    expect(back.every((b) => b === 0)).toBe(true);
  });

  it('flush resolves', async () => {
    await expect(store.flush()).resolves.toBeUndefined();
  });

  it('sha256 of a range matches the file content', async () => {
    const { createHash } = await import('node:crypto');
    const expected = createHash('sha256').update(readFileSync(path).subarray(1000, 3_000_000)).digest();
    expect((await store.sha256(1000, 2_999_000)).equals(expected)).toBe(true);
  });

  it('digestExtents returns one digest per extent', async () => {
    const digests = await store.digestExtents(Float64Array.from([0, 4096, 4096, 4096]), 'sha256');
    expect(digests.subarray(0, 32).equals(await store.sha256(0, 4096))).toBe(true);
    expect(digests.subarray(32).equals(await store.sha256(4096, 4096))).toBe(true);
  });
});
