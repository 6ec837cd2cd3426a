import { statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockIoError } from '../../src/block/device.js';
import { FileBlockStore } from '../../src/block/file-store.js';
import { makeTempDir } from './temp-dir.js';

describe('FileBlockStore.open', () => {
  const temp = makeTempDir('fs-open');
  afterAll(() => temp.remove());

  it('creates missing parent directories and a sparse file of the given size', async () => {
    const path = temp.file('a/b/c/lun0.img');
    const store = await FileBlockStore.open({ path, size: 32 << 20 });
    try {
      expect(store).toMatchObject({ path, size: 32 << 20, readOnly: false, canDiscard: true, isBlockDevice: false });
      const st = statSync(path);
      expect(st.size).toBe(32 << 20);
      expect(st.blocks).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('opens an existing image read-only without a size, and cannot discard', async () => {
    const path = temp.file('existing.img');
    await (await FileBlockStore.open({ path, size: 1 << 20 })).close();
    const store = await FileBlockStore.open({ path, readOnly: true });
    try {
      expect(store).toMatchObject({ size: 1 << 20, readOnly: true, canDiscard: false });
    } finally {
      await store.close();
    }
  });

  it('fails with a BlockIoError ENOENT for a missing image without a size', async () => {
    const err = await FileBlockStore.open({ path: temp.file('nope.img') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockIoError);
    expect(err).toMatchObject({ code: 'ENOENT', errno: 2 });
  });
});
