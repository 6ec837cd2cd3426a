/**
 * A copy-on-write's buffer (the old contents on their way to the point's data file) comes
 * from the I/O pool and goes back to it once copied: allocated fresh, under a point a second
 * those that outlived a young collection died old and kept the backup in full collections
 * (buffer-pool.ts). The copy itself lands intact (the point reads back the old contents).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ioBufferPool, type BufferLease } from '../../../src/util/buffer-pool.js';
import { openLun, patterned, prng, readPointAll } from './point-harness.js';

const SIZE = 4 * 1024 * 1024;
const G = 4096;

afterEach(() => vi.restoreAllMocks());

describe('copy-on-write', () => {
  it('copies through a pooled buffer that is back in the pool once the copy is done', async () => {
    const lun = await openLun(SIZE);
    try {
      const old = patterned(prng(7), SIZE);
      await lun.image.write(old, 0);
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      const take = vi.spyOn(ioBufferPool, 'take');
      await lun.points.beforeOverwrite(5 * G, G);
      expect(take).toHaveBeenCalledTimes(1);
      const lease = take.mock.results[0]!.value as BufferLease;
      expect(lease.pooled).toBe(true);
      take.mockRestore();
      const again = ioBufferPool.take(lease.buffer.length);
      expect(again.buffer.buffer === lease.buffer.buffer).toBe(true);
      again.release();
      // The copy is the point's: overwrite the unit, and the point still reads the old bytes.
      await lun.image.write(Buffer.alloc(G, 0xee), 5 * G);
      expect((await readPointAll(lun.points, 1, SIZE)).equals(old)).toBe(true);
    } finally {
      await lun.cleanup();
    }
  });
});
