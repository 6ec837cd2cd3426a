import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockIoError } from '../../src/block/device.js';
import { FileBlockStore } from '../../src/block/file-store.js';
import { makeTempDir } from './temp-dir.js';

describe('FileBlockStore errors', () => {
  const temp = makeTempDir('fs-err');
  const path = temp.file('lun.img');
  beforeAll(async () => {
    await (await FileBlockStore.open({ path, size: 1 << 20 })).close();
  });
  afterAll(() => temp.remove());

  it('refuses writes and discards on a read-only store with EROFS', async () => {
    const store = await FileBlockStore.open({ path, readOnly: true });
    try {
      const err = await store.write(Buffer.alloc(512), 0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BlockIoError);
      expect(err).toMatchObject({ code: 'EROFS', errno: 30 });
      await expect(store.writev([Buffer.alloc(512)], 0)).rejects.toMatchObject({ code: 'EROFS' });
      await expect(store.discard(0, 512)).rejects.toMatchObject({ code: 'EROFS' });
      await expect(store.read(Buffer.alloc(512), 0)).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('refuses ranges beyond the end of the device with EINVAL', async () => {
    const store = await FileBlockStore.open({ path });
    try {
      await expect(store.read(Buffer.alloc(1024), (1 << 20) - 512)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(store.write(Buffer.alloc(1), 1 << 20)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(store.read(Buffer.alloc(1), -1)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(store.allocation(1 << 20, 512)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(store.sha256(0, (1 << 20) + 1)).rejects.toMatchObject({ code: 'EINVAL' });
    } finally {
      await store.close();
    }
  });

  it('rejects I/O after close with EBADF, and close is idempotent', async () => {
    const store = await FileBlockStore.open({ path });
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
    await expect(store.read(Buffer.alloc(512), 0)).rejects.toMatchObject({ code: 'EBADF' });
    await expect(store.flush()).rejects.toMatchObject({ code: 'EBADF' });
  });
});
