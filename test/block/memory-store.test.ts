import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlockIoError } from '../../src/block/device.js';
import { MEMORY_CHUNK_SIZE, MemoryBlockStore } from '../../src/block/memory-store.js';

describe('MemoryBlockStore', () => {
  it('allocates chunks on write and releases them only when a discard covers them whole', async () => {
    const store = new MemoryBlockStore({ size: 8 * MEMORY_CHUNK_SIZE });
    await store.write(Buffer.alloc(10, 1), MEMORY_CHUNK_SIZE - 5);
    expect(store.allocatedChunks).toBe(2);
    expect(await store.allocation(0, 8 * MEMORY_CHUNK_SIZE)).toEqual({ mapped: true, length: 2 * MEMORY_CHUNK_SIZE });
    expect(await store.allocation(2 * MEMORY_CHUNK_SIZE, 100)).toEqual({ mapped: false, length: 100 });
    await store.discard(MEMORY_CHUNK_SIZE, MEMORY_CHUNK_SIZE / 2);
    expect(store.allocatedChunks).toBe(2);
    await store.discard(0, 2 * MEMORY_CHUNK_SIZE);
    expect(store.allocatedChunks).toBe(0);
    expect(await store.allocation(0, 8 * MEMORY_CHUNK_SIZE)).toEqual({ mapped: false, length: 8 * MEMORY_CHUNK_SIZE });
  });

  it('counts flushes and FUA writes, and hashes like node:crypto', async () => {
    const store = new MemoryBlockStore({ size: 4 * MEMORY_CHUNK_SIZE });
    const data = Buffer.from('tandem'.repeat(30000));
    await store.write(data, 3, true);
    await store.flush();
    expect(store.fuaWriteCount).toBe(1);
    expect(store.flushCount).toBe(1);
    const expected = createHash('sha256').update(Buffer.concat([Buffer.alloc(3), data, Buffer.alloc(4 * MEMORY_CHUNK_SIZE - 3 - data.length)])).digest();
    expect((await store.sha256(0, 4 * MEMORY_CHUNK_SIZE)).equals(expected)).toBe(true);
  });

  it('raises BlockIoErrors: EROFS when read-only, EINVAL out of range, EBADF after close', async () => {
    const ro = new MemoryBlockStore({ size: 4096, readOnly: true });
    await expect(ro.write(Buffer.alloc(1), 0)).rejects.toBeInstanceOf(BlockIoError);
    await expect(ro.write(Buffer.alloc(1), 0)).rejects.toMatchObject({ code: 'EROFS' });
    const rw = new MemoryBlockStore({ size: 4096 });
    await expect(rw.read(Buffer.alloc(2), 4095)).rejects.toMatchObject({ code: 'EINVAL' });
    await rw.close();
    await expect(rw.read(Buffer.alloc(1), 0)).rejects.toMatchObject({ code: 'EBADF' });
  });
});
