/**
 * A file the block layer creates is made durable in its directory: a file's own fsync does
 * not make its name durable, so a crash on a file system that does not order the two (ext4
 * without a journal) could lose the whole file. The LUN image the file store creates, and
 * the WRITE ATOMIC log, whose record must survive a crash before the write is applied.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { AtomicWriteLog } from '../../src/block/atomic-write-log.js';
import type { BlockDevice } from '../../src/block/device.js';
import { nodeFiles } from '../../src/block/durable-file.js';
import { FileBlockStore } from '../../src/block/file-store.js';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { PowerLossFiles } from '../support/power-loss-files.js';
import { makeTempDir } from './temp-dir.js';

describe('FileBlockStore.open syncs the directory of an image it creates', () => {
  const temp = makeTempDir('create-dirsync');
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => temp.remove());

  /** Directory syncs, each with whether `path` existed when it was issued. */
  function watchDirSyncs(path: string): Array<{ dir: string; fileExisted: boolean }> {
    const seen: Array<{ dir: string; fileExisted: boolean }> = [];
    const real = nodeFiles.syncDir;
    vi.spyOn(nodeFiles, 'syncDir').mockImplementation((dir: string) => {
      seen.push({ dir, fileExisted: existsSync(path) });
      return real(dir);
    });
    return seen;
  }

  it('a new image: its directory is synced once, after the file exists, before open resolves', async () => {
    const path = temp.file('sub/lun0.img');
    const syncs = watchDirSyncs(path);
    const store = await FileBlockStore.open({ path, size: 1 << 20 });
    try {
      expect(syncs).toEqual([{ dir: dirname(path), fileExisted: true }]);
    } finally {
      await store.close();
    }
  });

  it('an existing image (opened with or without a size) costs no directory sync', async () => {
    const path = temp.file('existing.img');
    await (await FileBlockStore.open({ path, size: 1 << 20 })).close();
    const syncs = watchDirSyncs(path);
    await (await FileBlockStore.open({ path, size: 1 << 20 })).close();
    await (await FileBlockStore.open({ path })).close();
    expect(syncs).toEqual([]);
  });

  it('a directory sync that fails fails the open and leaves the image closed (it can be opened again)', async () => {
    const path = temp.file('dirsync-fails.img');
    vi.spyOn(nodeFiles, 'syncDir').mockRejectedValueOnce(Object.assign(new Error('EIO: injected'), { code: 'EIO' }));
    await expect(FileBlockStore.open({ path, size: 1 << 20 })).rejects.toMatchObject({ code: 'EIO' });
    // Its write lock was released with its descriptor.
    await (await FileBlockStore.open({ path, size: 1 << 20 })).close();
  });
});

describe('AtomicWriteLog makes its file durable in its directory before applying a record', () => {
  it('a power loss while the write is applied leaves the log file, whose record the next open replays', async () => {
    const files = new PowerLossFiles();
    const dir = '/meta';
    await files.mkdir(dir);
    const path = join(dir, 'lun-0-atomic-write.log');
    const data = Buffer.alloc(4096, 0x5a);
    let afterCrash: PowerLossFiles | undefined;
    // The target: a power loss just as the write reaches the device (none of it lands).
    const target: Pick<BlockDevice, 'write'> = {
      write: async () => {
        afterCrash = files.survivor({ keep: 'none' });
      },
    };
    const log = await AtomicWriteLog.open(path, new MemoryBlockStore({ size: 1 << 20 }), 1 << 20, files);
    await log.write(data, 8192, target);
    expect(afterCrash!.list()).toEqual([path]);

    const device = new MemoryBlockStore({ size: 1 << 20 });
    const reopened = await AtomicWriteLog.open(path, device, 1 << 20, afterCrash);
    expect(reopened.replayed).toBe(true);
    const back = Buffer.alloc(4096);
    await device.read(back, 8192);
    expect(back.equals(data)).toBe(true);
  });

  it('the directory is synced once per open log, not per write', async () => {
    const files = new PowerLossFiles();
    await files.mkdir('/meta');
    const syncDir = vi.spyOn(files, 'syncDir');
    const log = await AtomicWriteLog.open('/meta/log', new MemoryBlockStore({ size: 1 << 20 }), 1 << 20, files);
    for (let i = 0; i < 3; i++) await log.write(Buffer.alloc(512, i), i * 512);
    expect(syncDir.mock.calls).toEqual([['/meta']]);
  });
});
