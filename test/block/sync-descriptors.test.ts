/**
 * SyncDescriptors (src/block/sync-descriptors.ts): the open file descriptions a file store's
 * syncs run on, one sync on each at a time, so that no sync can take another's write-back
 * error. A description is never held twice at once; waiters are served first come, first
 * served; close() closes them all.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultSyncDescriptorCount, SyncDescriptors } from '../../src/block/sync-descriptors.js';
import { makeTempDir } from './temp-dir.js';

const temp = makeTempDir('sync-descriptors');
/** Linux's (node's fs.constants types have none). */
const O_CLOEXEC = 0o2000000;
const O_ACCMODE = 0o3;
afterAll(() => temp.remove());

let n = 0;
/** `f` of a new file's descriptor, closed once `f` is done (its promise settled). */
async function withFile(f: (fd: number) => void | Promise<void>): Promise<void> {
  const fd = openSync(temp.file(`f${n++}`), 'w+');
  try {
    await f(fd);
  } finally {
    closeSync(fd);
  }
}

const isOpen = (fd: number): boolean => {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};

describe('SyncDescriptors', () => {
  it('opens descriptions of the same file, writable when the store is', () =>
    withFile((fd) => {
      const pool = SyncDescriptors.open(fd, 3, false, false)!;
      try {
        expect(pool.size).toBe(3);
        const d = pool.tryAcquire()!;
        expect(d).not.toBe(fd);
        expect(fstatSync(d).ino).toBe(fstatSync(fd).ino);
        writeSync(d, Buffer.from('through a sync descriptor'), 0, 25, 0);
        const back = Buffer.alloc(25);
        readSync(fd, back, 0, 25, 0);
        expect(back.toString()).toBe('through a sync descriptor');
        pool.release(d);
      } finally {
        pool.close();
      }
    }));

  it("with the store's access mode and O_DIRECT", async () => {
    const flags = (fd: number): number => parseInt(/^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    const modes = (fd: number): number => flags(fd) & (O_ACCMODE | constants.O_DIRECT);
    for (const [readOnly, direct] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      await withFile((plain) => {
        let fd: number;
        try {
          fd = openSync(`/proc/self/fd/${plain}`, (readOnly ? constants.O_RDONLY : constants.O_RDWR) | (direct ? constants.O_DIRECT : 0));
        } catch {
          return; // no O_DIRECT on this file system
        }
        try {
          const pool = SyncDescriptors.open(fd, 2, readOnly, direct)!;
          try {
            const d = pool.tryAcquire()!;
            expect(modes(d), `readOnly ${readOnly}, direct ${direct}`).toBe(modes(fd));
            expect(flags(d) & O_CLOEXEC).toBe(O_CLOEXEC); // not inherited by a child process
          } finally {
            pool.close();
          }
        } finally {
          closeSync(fd);
        }
      });
    }
  });

  it('none with a count of 0, or when the file cannot be reopened through /proc', async () => {
    await withFile((fd) => expect(SyncDescriptors.open(fd, 0, false, false)).toBeUndefined());
    expect(SyncDescriptors.open(1 << 30, 2, false, false)).toBeUndefined(); // no such descriptor
  });

  it('never hands one description to two holders at once', async () => {
    await withFile(async (fd) => {
      const pool = SyncDescriptors.open(fd, 3, false, false)!;
      try {
        const held = new Set<number>();
        let most = 0;
        const holder = async (i: number): Promise<void> => {
          for (let k = 0; k < 20; k++) {
            const d = await pool.acquire();
            expect(held.has(d)).toBe(false);
            held.add(d);
            most = Math.max(most, held.size);
            for (let t = 0; t < ((i + k) % 3) + 1; t++) await new Promise((r) => setImmediate(r));
            held.delete(d);
            pool.release(d);
          }
        };
        await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(holder));
        expect(most).toBe(3);
        expect(held.size).toBe(0);
      } finally {
        pool.close();
      }
    });
  });

  it('serves waiters first come, first served; tryAcquire does not jump the queue', async () => {
    await withFile(async (fd) => {
      const pool = SyncDescriptors.open(fd, 2, false, false)!;
      try {
        const a = pool.tryAcquire()!;
        const b = await pool.acquire();
        expect(pool.tryAcquire()).toBeUndefined();
        const order: string[] = [];
        const w1 = pool.acquire().then((d) => (order.push('w1'), d));
        const w2 = pool.acquire().then((d) => (order.push('w2'), d));
        const w3 = pool.acquire().then((d) => (order.push('w3'), d));
        pool.release(b);
        expect(pool.tryAcquire()).toBeUndefined(); // b went to w1
        expect(await w1).toBe(b);
        pool.release(a);
        expect(await w2).toBe(a);
        pool.release(b);
        expect(await w3).toBe(b);
        expect(order).toEqual(['w1', 'w2', 'w3']);
        pool.release(a);
        pool.release(b);
        expect(pool.tryAcquire()).toBeDefined();
      } finally {
        pool.close();
      }
    });
  });

  it('close closes every description, held or free, fails waiters and later acquires; release after is harmless', async () => {
    await withFile(async (fd) => {
      const pool = SyncDescriptors.open(fd, 2, false, false)!;
      const a = pool.tryAcquire()!;
      const b = pool.tryAcquire()!;
      pool.release(b);
      const c = await pool.acquire();
      const waiting = pool.acquire();
      pool.close();
      await expect(waiting).rejects.toMatchObject({ code: 'EBADF' });
      expect(isOpen(a)).toBe(false);
      expect(isOpen(c)).toBe(false);
      expect(isOpen(fd)).toBe(true); // the store's own descriptor is the store's to close
      pool.release(a);
      expect(pool.tryAcquire()).toBeUndefined();
      await expect(pool.acquire()).rejects.toMatchObject({ code: 'EBADF' });
      pool.close(); // idempotent
    });
  });

  it('as many as the threadpool has threads by default', () => {
    const saved = process.env.UV_THREADPOOL_SIZE;
    try {
      delete process.env.UV_THREADPOOL_SIZE;
      expect(defaultSyncDescriptorCount()).toBe(4);
      process.env.UV_THREADPOOL_SIZE = '16';
      expect(defaultSyncDescriptorCount()).toBe(16);
      process.env.UV_THREADPOOL_SIZE = 'x';
      expect(defaultSyncDescriptorCount()).toBe(4);
    } finally {
      if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE;
      else process.env.UV_THREADPOOL_SIZE = saved;
    }
  });
});
