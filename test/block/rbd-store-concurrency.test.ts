/**
 * RbdBlockStore under many concurrent I/Os: librbd's aio completions reach the event loop
 * without blocking it and without the libuv threadpool (no job per I/O), and every
 * request's Buffer is read or filled exactly.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, read, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RbdBlockStore } from '../../src/block/rbd-store.js';
import { describeWithCeph } from '../support/ceph.js';

const MiB = 1 << 20;
const IOS = 64;

describeWithCeph('RbdBlockStore concurrency', (cluster) => {
  let images = 0;
  const open = (size: number) => RbdBlockStore.open({ pool: cluster().pool, image: `c${images++}`, conf: cluster().conf, size });

  // That the event loop turns while they are in flight is rbd-store-dead-osd-submit.test.ts's
  // to show, with the OSD dead so that nothing can complete meanwhile. Counting timer ticks
  // here could not: on a loaded machine the thread may not run again until every op is back,
  // and all their completions arrive in one turn before any timer.
  it(`runs ${IOS} aio writes and reads at once, each read returning what its write wrote`, async () => {
    const store = await open(64 * MiB);
    const data = Array.from({ length: IOS }, () => randomBytes(256 * 1024));
    try {
      for (let round = 0; round < 4; round++) {
        await Promise.all(data.map((d, i) => store.write(d, i * d.length)));
        const back = data.map((d) => Buffer.alloc(d.length));
        await Promise.all(back.map((b, i) => store.read(b, i * b.length)));
        back.forEach((b, i) => expect(b.equals(data[i]!), `read ${i}`).toBe(true));
        data.forEach((d) => d.reverse()); // the next round writes different data over it
      }
    } finally {
      await store.close();
    }
  });

  it('completes I/O while every libuv threadpool thread is blocked', async () => {
    const store = await open(16 * MiB);
    // Each threadpool thread blocks in read() on its own empty FIFO: no CPU spent.
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const fifos = Array.from({ length: threads }, (_, i) => join(cluster().dir, `fifo${i}`));
    const fds = fifos.map((f) => {
      execFileSync('mkfifo', [f]);
      return openSync(f, 'r+');
    });
    const released = fds.map((fd) => new Promise<void>((resolve) => read(fd, Buffer.alloc(1), 0, 1, null, () => resolve())));
    let poolFree = false;
    const probe = stat(cluster().conf).then(() => (poolFree = true));
    try {
      const data = randomBytes(64 * 1024);
      await Promise.all(Array.from({ length: IOS }, (_, i) => store.write(data, i * data.length)));
      const back = Buffer.alloc(data.length);
      await store.read(back, (IOS - 1) * data.length);
      await store.flush();
      expect(back.equals(data)).toBe(true);
      // The probe queued behind the blocked threads: proof that they were all blocked.
      expect(poolFree).toBe(false);
    } finally {
      for (const fd of fds) writeSync(fd, 'x');
      await Promise.all(released);
      await probe;
      fds.forEach((fd) => closeSync(fd));
      await store.close();
    }
  });

  it('keeps each Buffer until its completion: 512 small writes of distinct bytes land intact', async () => {
    const store = await open(4 * MiB);
    try {
      const writes = [];
      for (let i = 0; i < 512; i++) writes.push(store.write(Buffer.alloc(4096, i & 0xff), i * 4096));
      await Promise.all(writes);
      const all = Buffer.alloc(512 * 4096);
      await store.read(all, 0);
      for (let i = 0; i < 512; i++) expect(all[i * 4096 + 4095], `block ${i}`).toBe(i & 0xff);
    } finally {
      await store.close();
    }
  });
});
