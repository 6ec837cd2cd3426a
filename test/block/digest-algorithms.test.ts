import { afterAll, describe, expect, it } from 'vitest';
import { DIGEST_ALGORITHMS } from '../../src/block/digest.js';
import { FileBlockStore } from '../../src/block/file-store.js';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { native } from '../../src/native/index.js';
import { makeTempDir } from './temp-dir.js';

describe('digest algorithms of the stores', () => {
  const temp = makeTempDir('digest-alg');
  afterAll(() => temp.remove());

  it('every store offers what the addon was built with, SHA-256 first', async () => {
    const file = await FileBlockStore.open({ path: temp.file('a.img'), size: 4096 });
    const memory = new MemoryBlockStore({ size: 4096 });
    expect(DIGEST_ALGORITHMS).toEqual(native.digestAlgorithms);
    expect(DIGEST_ALGORITHMS[0]).toBe('sha256');
    expect(file.digestAlgorithms).toEqual(DIGEST_ALGORITHMS);
    expect(memory.digestAlgorithms).toEqual(DIGEST_ALGORITHMS);
    await file.close();
  });

  it('an algorithm a store lacks is refused with ENOTSUP before any I/O (a file store still closes)', async () => {
    const file = await FileBlockStore.open({ path: temp.file('b.img'), size: 4096 });
    const memory = new MemoryBlockStore({ size: 4096 });
    for (const store of [file, memory]) {
      await expect(store.digestExtents(Float64Array.of(0, 512), 'md5' as never)).rejects.toMatchObject({ code: 'ENOTSUP' });
    }
    await expect(file.close()).resolves.toBeUndefined();
  });
});
