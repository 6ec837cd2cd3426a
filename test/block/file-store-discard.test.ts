import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlockStore } from '../../src/block/file-store.js';
import { makeTempDir } from './temp-dir.js';

const MiB = 1 << 20;

describe('FileBlockStore discard and allocation', () => {
  const temp = makeTempDir('fs-discard');
  const path = temp.file('lun.img');
  let store: FileBlockStore;
  beforeAll(async () => {
    store = await FileBlockStore.open({ path, size: 8 * MiB });
  });
  afterAll(async () => {
    await store.close();
    temp.remove();
  });

  it('maps what was written and leaves the rest as holes', async () => {
    await store.write(Buffer.alloc(2 * MiB, 0x11), 2 * MiB);
    await store.flush();
    expect(await store.allocation(0, 8 * MiB)).toEqual({ mapped: false, length: 2 * MiB });
    expect(await store.allocation(2 * MiB, 8 * MiB)).toEqual({ mapped: true, length: 2 * MiB });
    // maxLength past the end is clamped to the device size
    expect(await store.allocation(4 * MiB, 100 * MiB)).toEqual({ mapped: false, length: 4 * MiB });
  });

  it('discard frees blocks and the range reads back as zeroes', async () => {
    const before = statSync(path).blocks;
    await store.discard(2 * MiB, MiB);
    expect(statSync(path).blocks).toBeLessThan(before);
    expect(statSync(path).size).toBe(8 * MiB);
    const back = Buffer.alloc(2 * MiB, 0xff);
    await store.read(back, 2 * MiB);
    expect(back.subarray(0, MiB).every((b) => b === 0)).toBe(true);
    expect(back.subarray(MiB).every((b) => b === 0x11)).toBe(true);
    expect(await store.allocation(2 * MiB, 8 * MiB)).toEqual({ mapped: false, length: MiB });
    expect(await store.allocation(3 * MiB, 8 * MiB)).toEqual({ mapped: true, length: MiB });
  });
});
