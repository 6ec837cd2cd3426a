/**
 * A FUA write that fails in its write (ENOSPC allocating its blocks) lost nothing written
 * before it: later flushes and FUA writes go on. Only a failed sync sticks (a lost
 * write-back, which the kernel reports once: flush-error-is-sticky.test.ts). A FUA write is
 * one pwritev2(RWF_DSYNC), whose write and sync fail alike, so the store asks a second
 * description of the file whether a write-back failed (src/block/writeback-witness.ts).
 *
 * The first part runs on a real kernel: ext4 on a loop device, full in the file system
 * itself (a write fails allocating) or under it (a write-back fails). Needs root (mount,
 * losetup); skips otherwise. The second part injects the failures into the addon's calls.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileBlockStore } from '../../src/block/file-store.js';
import { native, type NativeCallback, type NativeError } from '../../src/native/index.js';
import { makeTempDir } from './temp-dir.js';
import { run, canMount } from './kernel-rig.js';

const silent = pino({ level: 'silent' });

/** dd until the file system is full (dd then fails: expected). */
function fill(path: string): void {
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${path}`, 'bs=64k', 'conv=fsync'], { stdio: 'ignore' });
  } catch {
    // ENOSPC
  }
}

describe.skipIf(!canMount())('FUA write failures on a real kernel (ext4 on a loop device over a tmpfs)', () => {
  let base = '';
  const mounts: string[] = [];
  const loops: string[] = [];

  /** A fresh ext4 (no journal, no reserved blocks) on a loop device over a file in a tmpfs of `tmpfsMiB`. */
  function ext4(name: string, tmpfsMiB: number): { tm: string; mnt: string } {
    const tm = join(base, `${name}-tm`);
    const mnt = join(base, `${name}-mnt`);
    run('mkdir', '-p', tm, mnt);
    run('mount', '-t', 'tmpfs', '-o', `size=${tmpfsMiB}m`, 'tmpfs', tm);
    mounts.unshift(tm);
    run('truncate', '-s', '64M', join(tm, 'backing'));
    const loop = run('losetup', '--find', '--show', join(tm, 'backing'));
    loops.unshift(loop);
    run('mkfs.ext4', '-q', '-F', '-m', '0', '-O', '^has_journal', '-E', 'lazy_itable_init=0,nodiscard', '-N', '128', '-b', '4096', loop);
    run('mount', loop, mnt);
    mounts.unshift(mnt);
    return { tm, mnt };
  }

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'tandem-fua-enospc-'));
  });

  afterAll(() => {
    const attempt = (f: () => void) => {
      try {
        f();
      } catch {
        // best effort: the rest is still cleaned up
      }
    };
    // Mount points first (the ext4s, then the tmpfs under them), then the loop devices.
    for (const m of mounts.filter((m) => m.endsWith('-mnt'))) attempt(() => run('umount', m));
    for (const l of loops) attempt(() => run('losetup', '-d', l));
    for (const m of mounts.filter((m) => m.endsWith('-tm'))) attempt(() => run('umount', m));
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('a FUA write the full file system cannot allocate fails with ENOSPC; later flushes and FUA writes succeed', async () => {
    const { mnt } = ext4('fs-full', 96);
    const store = await FileBlockStore.open({ path: join(mnt, 'lun.img'), size: 16 << 20, logger: silent });
    try {
      await store.write(Buffer.alloc(64 << 10, 1), 0, true); // allocated before the file system fills
      fill(join(mnt, 'fill'));
      // A hole: its blocks cannot be allocated. The write fails before any sync.
      await expect(store.write(Buffer.alloc(64 << 10, 2), 8 << 20, true)).rejects.toMatchObject({ code: 'ENOSPC' });
      await expect(store.writev([Buffer.alloc(64 << 10, 2)], 8 << 20, true)).rejects.toMatchObject({ code: 'ENOSPC' });
      // Nothing written before was lost: the store still flushes, and a FUA write over allocated blocks succeeds.
      await expect(store.flush()).resolves.toBeUndefined();
      await expect(store.write(Buffer.alloc(64 << 10, 3), 0, true)).resolves.toBeUndefined();
      await expect(store.writev([Buffer.alloc(64 << 10, 4)], 0, true)).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('a FUA write whose own sync fails (its write-back lost under the file system) makes it sticky', async () => {
    const { tm, mnt } = ext4('backing-full', 16);
    const store = await FileBlockStore.open({ path: join(mnt, 'lun.img'), size: 16 << 20, logger: silent });
    try {
      fill(join(tm, 'fill')); // the tmpfs under the loop device: data blocks written from now on are lost
      // One write alone (not a batch): RWF_DSYNC, whose write succeeds and whose sync fails.
      const err = await store.write(Buffer.alloc(1 << 20, 5), 0, true).then(
        () => undefined,
        (e: { code?: string }) => e,
      );
      expect(err, 'the FUA write resolved though its data is not on the disk').toBeDefined();
      await expect(store.flush()).rejects.toMatchObject({ message: expect.stringContaining('reopened') });
      await expect(store.writev([Buffer.alloc(4096, 6)], 0, true)).rejects.toMatchObject({ message: expect.stringContaining('reopened') });
    } finally {
      await store.close();
    }
  });
});

describe('FUA write failures (injected into the addon)', () => {
  const temp = makeTempDir('fua-write-error');
  let n = 0;
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => temp.remove());

  const nativeError = (code: string, errno: number, syscall: string): NativeError =>
    Object.assign(new Error(`${code}: injected, ${syscall}`), { code, errno, syscall });

  const open = (): Promise<FileBlockStore> => FileBlockStore.open({ path: temp.file(`f${n++}.img`), size: 1 << 20, logger: silent });

  /** The next transferBatch fails its FUA ops with `err` (after really running them). */
  function failNextFuaBatch(err: NativeError): void {
    const real = native.transferBatch;
    vi.spyOn(native, 'transferBatch').mockImplementationOnce((fd, bufs, offsets, flags, cb) =>
      real(fd, bufs, offsets, flags, (e, errors) => cb(e, errors ?? bufs.map((_, i) => (flags[i]! & 2 ? err : null)))),
    );
  }

  it('ENOSPC, EDQUOT or EIO from a FUA write itself does not stick when no write-back failed', async () => {
    for (const [code, errno] of [
      ['ENOSPC', 28],
      ['EDQUOT', 122],
      ['EIO', 5],
    ] as const) {
      const store = await open();
      try {
        failNextFuaBatch(nativeError(code, errno, 'pwrite'));
        await expect(store.write(Buffer.alloc(4096, 1), 0, true)).rejects.toMatchObject({ code });
        vi.spyOn(native, 'pwritevFua').mockImplementationOnce((_fd, _bufs, _offset, cb: NativeCallback<undefined>) => {
          setImmediate(() => cb(nativeError(code, errno, 'pwritev'), undefined));
        });
        await expect(store.writev([Buffer.alloc(4096, 1)], 0, true)).rejects.toMatchObject({ code });
        vi.restoreAllMocks();
        await expect(store.flush(), code).resolves.toBeUndefined();
        await expect(store.write(Buffer.alloc(4096, 2), 0, true), code).resolves.toBeUndefined();
      } finally {
        await store.close();
      }
    }
  });

  it('a FUA write failure sticks when a write-back failed: the witness reports it though the write consumed it', async () => {
    const store = await open();
    try {
      failNextFuaBatch(nativeError('ENOSPC', 28, 'pwrite'));
      // The only fdatasync issued is the witness's: it reports the lost write-back.
      const syncs = vi.spyOn(native, 'fdatasync').mockImplementation((_fd: number, cb: NativeCallback<undefined>) => {
        setImmediate(() => cb(nativeError('EIO', 5, 'fdatasync'), undefined));
      });
      await expect(store.write(Buffer.alloc(4096, 1), 0, true)).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(syncs).toHaveBeenCalledTimes(1);
      vi.restoreAllMocks();
      await expect(store.flush()).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('reopened') });
      await expect(store.write(Buffer.alloc(4096, 1), 0, true)).rejects.toMatchObject({ code: 'EIO' });
    } finally {
      await store.close();
    }
  });

  it('a flush issued as the failed FUA write rejects is refused when its write-back failed (the verdict comes first)', async () => {
    const store = await open();
    try {
      failNextFuaBatch(nativeError('EIO', 5, 'pwrite'));
      vi.spyOn(native, 'fdatasync').mockImplementationOnce((_fd: number, cb: NativeCallback<undefined>) => {
        setImmediate(() => cb(nativeError('EIO', 5, 'fdatasync'), undefined));
      });
      const flush = await store.write(Buffer.alloc(4096, 1), 0, true).then(
        () => 'resolved',
        () => store.flush().then(
          () => 'flush resolved',
          (e: { code?: string }) => `flush rejected ${e.code}`,
        ),
      );
      expect(flush).toBe('flush rejected EIO');
    } finally {
      await store.close();
    }
  });
});
