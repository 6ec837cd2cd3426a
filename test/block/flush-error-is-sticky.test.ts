/**
 * A write-back error fails every later flush and FUA write of the store, until it is reopened.
 *
 * Linux reports a write-back error to each open file description once (errseq): the first
 * fdatasync after the failure gets EIO/ENOSPC and the error is then consumed. The failed
 * pages are no longer dirty, so a second fdatasync has nothing to write and succeeds,
 * although a write it must cover never reached the disk. FileBlockStore remembers the first
 * failure (src/block/sticky-sync-error.ts).
 *
 * The first part shows the kernel doing it: ext4 (no journal) on a loop device over a file
 * on a full tmpfs, so data blocks written for the first time fail. Needs root (mount,
 * losetup); skips otherwise. The second part injects the failures into the addon's calls.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileBlockStore } from '../../src/block/file-store.js';
import { native, type NativeCallback, type NativeError } from '../../src/native/index.js';
import { makeTempDir } from './temp-dir.js';
import { run, canMount, outcome, capturingLogger } from './kernel-rig.js';

describe.skipIf(!canMount())('FileBlockStore.flush after a real write-back error (ext4 on a loop device over a full tmpfs)', () => {
  let base = '';
  let tm = '';
  let mnt = '';
  let loop = '';
  let tmMounted = false;
  let mntMounted = false;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'tandem-sticky-eio-'));
    tm = join(base, 'tm');
    mnt = join(base, 'mnt');
    run('mkdir', '-p', tm, mnt);
    run('mount', '-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', tm);
    tmMounted = true;
    run('truncate', '-s', '64M', join(tm, 'backing'));
    loop = run('losetup', '--find', '--show', join(tm, 'backing'));
    run('mkfs.ext4', '-q', '-F', '-O', '^has_journal', '-E', 'lazy_itable_init=0,nodiscard', '-N', '128', '-b', '4096', loop);
    run('mount', loop, mnt);
    mntMounted = true;
  });

  afterAll(() => {
    const attempt = (f: () => void) => {
      try {
        f();
      } catch {
        // best effort: the rest is still cleaned up
      }
    };
    if (mntMounted) attempt(() => run('umount', mnt));
    if (loop) attempt(() => run('losetup', '-d', loop));
    if (tmMounted) attempt(() => run('umount', tm));
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('a flush after a failed flush is refused too, as is a FUA write, until the store is reopened', async () => {
    const image = join(mnt, 'lun.img');
    const { logger, lines } = capturingLogger();
    const store = await FileBlockStore.open({ path: image, size: 16 << 20, logger });
    // Fill the tmpfs under the loop device: data blocks written from now on cannot be stored.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(tm, 'fill')}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // dd stops at ENOSPC: expected
    }
    try {
      await store.write(Buffer.alloc(1 << 20, 0xab), 0); // completes into the page cache
      const first = await outcome(store.flush());
      expect(first).toMatch(/^rejected/); // the write could not be made durable

      // The write is not on the disk: read it back bypassing the page cache.
      const reader = await FileBlockStore.open({ path: image, readOnly: true, direct: true });
      const onDisk = Buffer.alloc(4096);
      await reader.read(onDisk, 0);
      await reader.close();
      expect(onDisk[0]).toBe(0);

      // A host retrying SYNCHRONIZE CACHE (or another host's flush) is not told the write is durable.
      expect(await outcome(store.flush()), 'flush resolved while a completed write is not on the disk').toBe(first);
      // Nor is a FUA write (its own sync would succeed, for the same reason).
      expect(await outcome(store.write(Buffer.alloc(4096, 1), 0, true))).toBe(first);
      expect(await outcome(store.writev([Buffer.alloc(4096, 1)], 0, true))).toBe(first);
      // One line says so, however many flushes fail.
      expect(lines.filter((l) => l.event === 'writeback-error')).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('FUA writes of one batch whose shared sync fails make it sticky too', async () => {
    const store = await FileBlockStore.open({ path: join(mnt, 'fua.img'), size: 16 << 20, logger: pino({ level: 'silent' }) });
    try {
      // Issued in one turn: one threadpool job, one fdatasync for both.
      const both = [store.write(Buffer.alloc(64 << 10, 1), 0, true), store.write(Buffer.alloc(64 << 10, 2), 4 << 20, true)];
      for (const w of both) await expect(w).rejects.toMatchObject({ message: expect.stringContaining('fdatasync') });
      await expect(store.flush()).rejects.toMatchObject({ message: expect.stringContaining('reopened') });
    } finally {
      await store.close();
    }
  });

  // What the store's sync descriptors rely on (src/block/sync-descriptors.ts): each open file
  // description reports a write-back error once, so syncs on separate descriptions, however
  // they overlap, all report it (on one description only the first would).
  it('the kernel reports one write-back error to each of two overlapping syncs on separate descriptions', async () => {
    const image = join(mnt, 'two.img');
    const fd = openSync(image, 'w+');
    const sync = (f: number): Promise<string> => new Promise((resolve) => native.fdatasync(f, (err) => resolve(err ? `rejected ${err.code}` : 'resolved')));
    try {
      for (let round = 0; round < 4; round++) {
        const d1 = openSync(`/proc/self/fd/${fd}`, 'r+');
        const d2 = openSync(`/proc/self/fd/${fd}`, 'r+');
        try {
          writeSync(fd, Buffer.alloc(1 << 20, round + 1), 0, 1 << 20, round * (2 << 20)); // blocks never written: their write-back fails
          const both = await Promise.all([sync(d1), sync(d2)]);
          expect(both[0], `round ${round}`).toMatch(/^rejected/);
          expect(both[1], `round ${round}`).toBe(both[0]);
          // Each description reported it once: the next syncs have nothing to say.
          expect(await Promise.all([sync(d1), sync(d2)])).toEqual(['resolved', 'resolved']);
        } finally {
          closeSync(d1);
          closeSync(d2);
        }
      }
    } finally {
      closeSync(fd);
    }
  });

  it('with sync descriptors, overlapping flushes and FUA writes over a failed write-back all fail', async () => {
    const store = await FileBlockStore.open({ path: join(mnt, 'pool.img'), size: 16 << 20, logger: pino({ level: 'silent' }), syncDescriptors: 4 });
    try {
      await store.write(Buffer.alloc(1 << 20, 5), 0);
      const all = await Promise.all([store.flush(), store.flush(), store.writev([Buffer.alloc(4096, 6)], 8 << 20, true), store.flush()].map(outcome));
      for (const o of all) expect(o).toMatch(/^rejected/);
      expect(await outcome(store.flush())).toMatch(/^rejected/);
    } finally {
      await store.close();
    }
  });
});

describe('FileBlockStore sync failures (injected into the addon)', () => {
  const temp = makeTempDir('sticky-sync');
  let n = 0;
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => temp.remove());

  const nativeError = (code: string, errno: number, syscall: string): NativeError =>
    Object.assign(new Error(`${code}: injected, ${syscall}`), { code, errno, syscall });

  interface HeldSyncs {
    complete(i: number, err?: NativeError): void;
    completeAll(): void;
    readonly count: number;
    readonly fds: number[];
  }

  /** fdatasync held until the test completes it (each at most once; the rest at the end, so close() never waits forever). */
  function heldSyncs(): HeldSyncs {
    const held: Array<NativeCallback<undefined> | undefined> = [];
    const fds: number[] = [];
    vi.spyOn(native, 'fdatasync').mockImplementation((fd: number, cb: NativeCallback<undefined>) => {
      held.push(cb);
      fds.push(fd);
    });
    const complete = (i: number, err?: NativeError) => {
      const cb = held[i];
      held[i] = undefined;
      cb?.(err ?? null, undefined);
    };
    return {
      complete,
      completeAll: () => held.forEach((_, i) => complete(i)),
      get count() {
        return held.length;
      },
      fds,
    };
  }

  async function open(logger?: Logger, syncDescriptors?: number): Promise<FileBlockStore> {
    return FileBlockStore.open({ path: temp.file(`s${n++}.img`), size: 1 << 20, ...(logger ? { logger } : {}), ...(syncDescriptors !== undefined ? { syncDescriptors } : {}) });
  }

  /**
   * `test` on a new store (`syncDescriptors` of them) whose fdatasyncs are held (heldSyncs);
   * after it, pass or fail, every held sync completes and the store is closed.
   */
  async function withHeldSyncs(syncDescriptors: number, test: (store: FileBlockStore, syncs: HeldSyncs) => Promise<void>): Promise<void> {
    const store = await open(pino({ level: 'silent' }), syncDescriptors);
    const syncs = heldSyncs();
    try {
      await test(store, syncs);
    } finally {
      syncs.completeAll();
      vi.restoreAllMocks();
      await store.close();
    }
  }

  /** Lets the threadpool's completions and the promises after them run. */
  const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('a failed flush fails every later flush and FUA write; plain writes and reads go on; a reopened store flushes', async () => {
    const { logger, lines } = capturingLogger();
    const store = await open(logger);
    const path = store.path;
    try {
      await store.write(Buffer.alloc(4096, 7), 0);
      vi.spyOn(native, 'fdatasync').mockImplementationOnce((_fd: number, cb: NativeCallback<undefined>) => {
        setImmediate(() => cb(nativeError('EIO', 5, 'fdatasync'), undefined));
      });
      await expect(store.flush()).rejects.toMatchObject({ code: 'EIO' });
      // The next fdatasync would succeed (the kernel reported the error once): it is not even asked.
      const syncs = vi.spyOn(native, 'fdatasync');
      await expect(store.flush()).rejects.toMatchObject({ code: 'EIO' });
      await expect(store.flush()).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('reopened') });
      await expect(store.write(Buffer.alloc(4096, 8), 0, true)).rejects.toMatchObject({ code: 'EIO' });
      await expect(store.writev([Buffer.alloc(4096, 8)], 0, true)).rejects.toMatchObject({ code: 'EIO' });
      expect(syncs).not.toHaveBeenCalled();
      await expect(store.write(Buffer.alloc(4096, 9), 4096)).resolves.toBeUndefined();
      const back = Buffer.alloc(4096);
      await store.read(back, 4096);
      expect(back.every((b) => b === 9)).toBe(true);
      expect(lines.filter((l) => l.event === 'writeback-error')).toEqual([expect.objectContaining({ level: 50, path, code: 'EIO', syscall: 'fdatasync' })]);
    } finally {
      await store.close();
    }
    vi.restoreAllMocks();
    const reopened = await FileBlockStore.open({ path, logger });
    try {
      await expect(reopened.flush()).resolves.toBeUndefined();
      await expect(reopened.write(Buffer.alloc(4096, 1), 0, true)).resolves.toBeUndefined();
    } finally {
      await reopened.close();
    }
  });

  it('a FUA write whose shared sync fails makes it sticky; one whose write fails does not while no write-back failed', async () => {
    for (const [code, errno, syscall, sticks] of [
      ['EIO', 5, 'pwrite', false],
      ['ENOSPC', 28, 'pwrite', false],
      ['EDQUOT', 122, 'pwrite', false],
      ['EROFS', 30, 'fdatasync', true],
      ['EINVAL', 22, 'pwrite', false],
    ] as const) {
      const store = await open(pino({ level: 'silent' }));
      try {
        const real = native.transferBatch;
        vi.spyOn(native, 'transferBatch').mockImplementationOnce((fd, bufs, offsets, flags, cb) =>
          real(fd, bufs, offsets, flags, (err, errors) => cb(err, errors ?? bufs.map((_, i) => (flags[i]! & 2 ? nativeError(code, errno, syscall) : null)))),
        );
        await expect(store.write(Buffer.alloc(4096, 1), 0, true), code).rejects.toMatchObject({ code });
        vi.restoreAllMocks();
        const next = await outcome(store.flush());
        expect(next, `${code} from ${syscall}`).toBe(sticks ? `rejected ${code}` : 'resolved');
      } finally {
        await store.close();
      }
    }
  });

  it('a pwritevFua that fails with EIO while a write-back failed makes it sticky', async () => {
    const store = await open(pino({ level: 'silent' }));
    try {
      vi.spyOn(native, 'pwritevFua').mockImplementationOnce((_fd, _bufs, _offset, cb: NativeCallback<undefined>) => {
        setImmediate(() => cb(nativeError('EIO', 5, 'pwritev'), undefined));
      });
      // The store asks whether a write-back failed (writeback-witness.ts): one did.
      vi.spyOn(native, 'fdatasync').mockImplementationOnce((_fd: number, cb: NativeCallback<undefined>) => {
        setImmediate(() => cb(nativeError('EIO', 5, 'fdatasync'), undefined));
      });
      await expect(store.writev([Buffer.alloc(4096)], 0, true)).rejects.toMatchObject({ code: 'EIO' });
      await expect(store.flush()).rejects.toMatchObject({ code: 'EIO' });
    } finally {
      await store.close();
    }
  });

  // Without sync descriptors (syncDescriptors 0, or no /proc) every sync runs on the store's
  // one descriptor, where overlapping syncs can split an error: a successful one waits.
  it('on one descriptor, a flush that succeeds while an overlapping flush fails is refused: the kernel told only one of them', () =>
    withHeldSyncs(0, async (store, syncs) => {
      const a = outcome(store.flush());
      const b = outcome(store.flush());
      await nextTurn();
      expect(syncs.count).toBe(2);
      // The second completes first, successfully (the first took the error)...
      syncs.complete(1);
      await nextTurn();
      // ...and waits for the first, which failed.
      syncs.complete(0, nativeError('EIO', 5, 'fdatasync'));
      expect(await a).toBe('rejected EIO');
      expect(await b).toBe('rejected EIO');
    }));

  it('on one descriptor, a successful flush waits only for the flushes in flight when it completed', () =>
    withHeldSyncs(0, async (store, syncs) => {
      const done: string[] = [];
      const a = store.flush().then(() => done.push('a'));
      const b = store.flush().then(() => done.push('b'));
      await nextTurn();
      syncs.complete(1);
      await nextTurn();
      expect(done).toEqual([]); // b waits for a, which it overlapped
      const c = store.flush().then(() => done.push('c'));
      await nextTurn();
      syncs.complete(0);
      await b; // not for c, issued after b completed
      expect(done).toEqual(['b']); // a waits for c, which may have overlapped it
      syncs.complete(2);
      await Promise.all([a, c]);
      expect(done.sort()).toEqual(['a', 'b', 'c']);
    }));

  // With sync descriptors (the default where /proc is) each sync runs alone on a description
  // of its own, which reports every write-back error since its previous sync: an overlapping
  // sync cannot take its error (src/block/sync-descriptors.ts), so a success is not held back.
  it('with sync descriptors, a successful flush does not wait for an overlapping slower one', () =>
    withHeldSyncs(4, async (store, syncs) => {
      const done: string[] = [];
      const a = store.flush().then(() => done.push('a'));
      const b = store.flush().then(() => done.push('b'));
      await nextTurn();
      expect(syncs.count).toBe(2);
      syncs.complete(1);
      await nextTurn();
      expect(done).toEqual(['b']); // a is still in flight
      syncs.complete(0);
      await Promise.all([a, b]);
      expect(done).toEqual(['b', 'a']);
    }));

  it('with sync descriptors, concurrent syncs each run on a description of their own, never the same one twice at once', () =>
    withHeldSyncs(2, async (store, syncs) => {
      const flushes = [0, 1, 2, 3].map(() => outcome(store.flush()));
      await nextTurn();
      expect(syncs.count).toBe(2); // two descriptions: the others wait for one
      expect(new Set(syncs.fds).size).toBe(2);
      syncs.complete(1);
      await nextTurn();
      expect(syncs.count).toBe(3);
      expect(syncs.fds[2]).toBe(syncs.fds[1]); // the one freed, handed to the longest waiter
      syncs.complete(0);
      await nextTurn();
      expect(syncs.count).toBe(4);
      expect(syncs.fds[3]).toBe(syncs.fds[0]);
      syncs.complete(2);
      syncs.complete(3);
      expect(await Promise.all(flushes)).toEqual(['resolved', 'resolved', 'resolved', 'resolved']);
    }));

  it('with sync descriptors, a sync issued after one failed fails, although its own description succeeded', () =>
    withHeldSyncs(2, async (store, syncs) => {
      const a = outcome(store.flush());
      const b = outcome(store.flush());
      await nextTurn();
      syncs.complete(0, nativeError('EIO', 5, 'fdatasync'));
      expect(await a).toBe('rejected EIO');
      syncs.complete(1); // completes after a's failure is recorded: refused
      expect(await b).toBe('rejected EIO');
    }));

  it("with sync descriptors, FUA writes and flushes run on them, not on the store's descriptor; plain I/O does not", async () => {
    const store = await open(pino({ level: 'silent' }), 2);
    try {
      const batches = vi.spyOn(native, 'transferBatch');
      const fuas = vi.spyOn(native, 'pwritevFua');
      const syncs = vi.spyOn(native, 'fdatasync');
      await store.write(Buffer.alloc(4096, 1), 0, true);
      await store.writev([Buffer.alloc(4096, 2)], 4096, true);
      await store.flush();
      const fuaBatchFd = batches.mock.calls[0]![0];
      const fuaFd = fuas.mock.calls[0]![0];
      const syncFd = syncs.mock.calls[0]![0];
      batches.mockClear();
      await store.write(Buffer.alloc(256 << 10, 3), 512 << 10); // past the inline size: a batch
      const plainFd = batches.mock.calls[0]![0];
      expect(new Set([fuaBatchFd, fuaFd, syncFd]).has(plainFd)).toBe(false);
      const back = Buffer.alloc(4096);
      await store.read(back, 4096);
      expect(back.every((b) => b === 2)).toBe(true);
    } finally {
      vi.restoreAllMocks();
      await store.close();
    }
  });
});
