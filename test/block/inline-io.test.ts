/**
 * Small buffered I/O on the JS thread (InlineIo): non-FUA writes and cached reads are done
 * at once; FUA writes, failures and everything while paused after a stall are left for
 * the threadpool, in order.
 */
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, readSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InlineIo, type InlineTransfer } from '../../src/block/inline-io.js';
import { native } from '../../src/native/index.js';
import { openTempImage } from '../native/temp-file.js';

const WRITE = 1;
const FUA = 2;

describe('InlineIo', () => {
  const image = openTempImage('inline', 1 << 20);

  it('does a buffered write and a cached read at once; leaves a FUA write for the pool', () => {
    const inline = new InlineIo(image.fd);
    const data = randomBytes(4096);
    const back = Buffer.alloc(4096);
    const fua = randomBytes(512);
    const ops = [
      { buf: data, offset: 8192, flags: WRITE },
      { buf: fua, offset: 0, flags: WRITE | FUA },
      { buf: back, offset: 8192, flags: 0 },
    ];
    const done: unknown[] = [];
    const rest = inline.run(ops, (op) => done.push(op));
    expect(done).toEqual([ops[0], ops[2]]);
    expect(rest).toEqual([ops[1]]);
    expect(back.equals(data)).toBe(true);
    const onDisk = Buffer.alloc(4096);
    const check = openSync(image.path, 'r');
    readSync(check, onDisk, 0, 4096, 8192);
    closeSync(check);
    expect(onDisk.equals(data)).toBe(true);
    // The FUA write was not done here.
    const head = Buffer.alloc(512);
    const again = openSync(image.path, 'r');
    readSync(again, head, 0, 512, 0);
    closeSync(again);
    expect(head.equals(fua)).toBe(false);
  });

  it('leaves what fails (a write on a read-only descriptor, a read past the end) for the pool, which reports it', () => {
    const ro = openSync(image.path, 'r');
    try {
      const inline = new InlineIo(ro);
      const ops = [
        { buf: randomBytes(4096), offset: 0, flags: WRITE },
        { buf: Buffer.alloc(4096), offset: 1 << 20, flags: 0 },
        { buf: Buffer.alloc(4096), offset: 4096, flags: 0 },
      ];
      const done: unknown[] = [];
      expect(inline.run(ops, (op) => done.push(op))).toEqual([ops[0], ops[1]]);
      expect(done).toEqual([ops[2]]);
    } finally {
      closeSync(ro);
    }
  });

  /** The real transfer; when asked to count, reports that the thread slept in the kernel `sleeps` times (as a throttled write would). */
  const sleeping = (sleeps: number, asked: boolean[] = []): InlineTransfer => (fd, buffers, offsets, flags, redo, countSleeps) => {
    asked.push(countSleeps);
    native.transferInline(fd, buffers, offsets, flags, redo, countSleeps);
    return countSleeps ? sleeps : 0;
  };

  it('after a slow call, the next slow call that slept in the kernel pauses inline I/O for the pause, then it resumes', () => {
    let now = 0;
    const asked: boolean[] = [];
    // Every clock reading is 3 ms after the one before: each call "takes" longer than 2 ms.
    const inline = new InlineIo(image.fd, 2, 1000, () => (now += 3), sleeping(1, asked));
    const op = () => ({ buf: randomBytes(512), offset: 0, flags: WRITE });
    const done: unknown[] = [];
    const first = op();
    expect(inline.run([first], (o) => done.push(o))).toEqual([]);
    expect(done).toEqual([first]);
    // The first slow call only sets the watch: sleeps are not counted on every call (two system calls).
    expect(asked).toEqual([false]);
    expect(inline.active).toBe(true);
    const second = op();
    expect(inline.run([second], (o) => done.push(o))).toEqual([]);
    expect(asked).toEqual([false, true]);
    expect(inline.active).toBe(false);
    const paused = [op(), op()];
    expect(inline.run(paused, (o) => done.push(o))).toEqual(paused);
    expect(done.length).toBe(2);
    now += 1000;
    expect(inline.active).toBe(true);
    expect(inline.run([op()], (o) => done.push(o))).toEqual([]);
    expect(done.length).toBe(3);
  });

  it('fast calls do not count sleeps; a slow one makes the calls of the next moment count them', () => {
    let now = 0;
    let step = 0.1;
    const asked: boolean[] = [];
    const inline = new InlineIo(image.fd, 2, 1000, () => (now += step), sleeping(0, asked), 50);
    const op = () => ({ buf: randomBytes(512), offset: 0, flags: WRITE });
    inline.run([op()], () => undefined);
    step = 3;
    inline.run([op()], () => undefined);
    step = 0.1;
    inline.run([op()], () => undefined);
    now += 100;
    inline.run([op()], () => undefined);
    expect(asked).toEqual([false, false, true, false]);
  });

  it('a slow call that never slept (preempted by a busy CPU) does not pause inline I/O', () => {
    let now = 0;
    const asked: boolean[] = [];
    const inline = new InlineIo(image.fd, 2, 1000, () => (now += 3), sleeping(0, asked));
    const done: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const op = { buf: randomBytes(512), offset: 512 * i, flags: WRITE };
      expect(inline.run([op], (o) => done.push(o))).toEqual([]);
      expect(inline.active).toBe(true);
    }
    expect(done.length).toBe(3);
    // Watched from the second call on, and none slept.
    expect(asked).toEqual([false, true, true]);
  });

  it('the native call returns how often the thread slept in the kernel, a whole number', () => {
    const bufs = [randomBytes(4096), randomBytes(4096)];
    const slept = native.transferInline(image.fd, bufs, new Float64Array([0, 4096]), new Uint8Array([WRITE, WRITE]), new Uint8Array(2), true);
    expect(Number.isInteger(slept)).toBe(true);
    expect(slept).toBeGreaterThanOrEqual(0);
    // Not asked to count: 0, whatever happened.
    expect(native.transferInline(image.fd, bufs, new Float64Array([0, 4096]), new Uint8Array([WRITE, WRITE]), new Uint8Array(2))).toBe(0);
  });

  it('leaves I/O larger than 64 KiB to the pool (pool threads copy in parallel)', () => {
    const inline = new InlineIo(image.fd);
    const ops = [
      { buf: Buffer.alloc(128 * 1024, 1), offset: 0, flags: WRITE },
      { buf: Buffer.alloc(64 * 1024, 2), offset: 256 * 1024, flags: WRITE },
    ];
    const done: unknown[] = [];
    expect(inline.run(ops, (op) => done.push(op))).toEqual([ops[0]]);
    expect(done).toEqual([ops[1]]);
  });

  it('while a sync of the file is in flight, everything goes to the pool; after it, inline again', async () => {
    const inline = new InlineIo(image.fd);
    let finish!: () => void;
    const sync = inline.syncing(new Promise<void>((resolve) => (finish = resolve)));
    const ops = [{ buf: randomBytes(512), offset: 0, flags: WRITE }];
    const done: unknown[] = [];
    expect(inline.active).toBe(false);
    expect(inline.run(ops, (op) => done.push(op))).toEqual(ops);
    finish();
    await sync;
    expect(inline.active).toBe(true);
    expect(inline.run(ops, (op) => done.push(op))).toEqual([]);
    expect(done).toEqual(ops);
  });

  it('runs batches larger than its arrays (they grow)', () => {
    const inline = new InlineIo(image.fd);
    const ops = Array.from({ length: 40 }, (_, i) => ({ buf: Buffer.alloc(512, i), offset: i * 512, flags: WRITE }));
    let count = 0;
    expect(inline.run(ops, () => count++)).toEqual([]);
    expect(count).toBe(40);
    const all = Buffer.alloc(40 * 512);
    const check = openSync(image.path, 'r');
    readSync(check, all, 0, all.length, 0);
    closeSync(check);
    for (let i = 0; i < 40; i++) expect(all[i * 512]).toBe(i);
  });
});
