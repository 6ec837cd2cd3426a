/**
 * A LUN whose logical blocks are smaller than the medium's logical sectors cannot be served
 * with O_DIRECT: every I/O of one block would fail EINVAL (O_DIRECT aligns to the device's
 * sector). Opening it is refused, naming both sizes: a block device with 4096-byte sectors
 * (BLKSSZGET), and a file on a file system on one (the sector size of the device under it).
 *
 * The devices: loop devices over sparse files, with 4096- and 512-byte sectors. Needs root
 * (losetup, mount); skips otherwise.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlockStore, type FileBlockStoreOptions } from '../../src/block/file-store.js';
import { makeTempDir } from './temp-dir.js';
import { run, canMount } from './kernel-rig.js';

/** 'opened' (and closed again: a store left open would hold its device's write lock), or what the open threw. */
async function openOutcome(opts: FileBlockStoreOptions): Promise<unknown> {
  try {
    await (await FileBlockStore.open(opts)).close();
    return 'opened';
  } catch (e) {
    return e;
  }
}

describe.skipIf(!canMount())('FileBlockStore.open with direct refuses LUN blocks smaller than the medium sectors', () => {
  const temp = makeTempDir('direct-sector');
  const loops: string[] = [];
  const mounts: string[] = [];
  let loop4k = '';
  let loop512 = '';
  let fs4k = '';
  let fs512 = '';

  function attach(backing: string, sectorSize: number): string {
    run('truncate', '-s', '32M', temp.file(backing));
    const loop = run('losetup', '--find', '--show', '-b', String(sectorSize), temp.file(backing));
    loops.push(loop);
    return loop;
  }

  /** An ext4 on a loop device of `sectorSize`-byte sectors, mounted. */
  function ext4(name: string, sectorSize: number): string {
    const loop = attach(`${name}-backing`, sectorSize);
    run('mkfs.ext4', '-q', '-F', '-b', '4096', '-E', 'nodiscard', loop);
    const mnt = temp.file(`${name}-mnt`);
    mkdirSync(mnt);
    run('mount', loop, mnt);
    mounts.push(mnt);
    return mnt;
  }

  beforeAll(() => {
    loop4k = attach('dev-4k', 4096);
    loop512 = attach('dev-512', 512);
    fs4k = ext4('fs-4k', 4096);
    fs512 = ext4('fs-512', 512);
  });

  afterAll(() => {
    const attempt = (f: () => void) => {
      try {
        f();
      } catch {
        // best effort: the rest is still cleaned up
      }
    };
    for (const m of mounts) attempt(() => run('umount', m));
    for (const l of loops) attempt(() => run('losetup', '-d', l));
    temp.remove();
  });

  it('a block device with 4096-byte sectors: 512-byte blocks are refused, naming both sizes; 4096-byte blocks are served', async () => {
    expect(await openOutcome({ path: loop4k, direct: true, blockSize: 512 })).toMatchObject({
      code: 'EINVAL',
      message: expect.stringMatching(/512-byte logical blocks.*O_DIRECT.*logical sector size is 4096 bytes/),
    });
    const store = await FileBlockStore.open({ path: loop4k, direct: true, blockSize: 4096 });
    try {
      await store.write(Buffer.alloc(4096, 7), 8192, true);
      const back = Buffer.alloc(4096);
      await store.read(back, 8192);
      expect(back.every((b) => b === 7)).toBe(true);
    } finally {
      await store.close();
    }
    // Refused with the device's write lock released: the device can be opened again.
    expect(await openOutcome({ path: loop4k, blockSize: 512 })).toBe('opened');
  });

  it('a file on a file system over 4096-byte sectors: refused, and an image the open would have created is not left behind', async () => {
    const path = join(fs4k, 'lun.img');
    expect(await openOutcome({ path, size: 1 << 20, direct: true, blockSize: 512 })).toMatchObject({
      code: 'EINVAL',
      message: expect.stringMatching(/512-byte logical blocks.*logical sector size is 4096 bytes/),
    });
    expect(existsSync(path)).toBe(false);
    const store = await FileBlockStore.open({ path, size: 1 << 20, direct: true, blockSize: 4096 });
    await store.close();
    // An existing image is refused as well, and kept.
    expect(await openOutcome({ path, direct: true, blockSize: 512 })).toMatchObject({ code: 'EINVAL' });
    expect(existsSync(path)).toBe(true);
  });

  it('512-byte sectors take 512-byte blocks with direct; without direct (the page cache) nothing is refused', async () => {
    expect(await openOutcome({ path: loop512, direct: true, blockSize: 512 })).toBe('opened');
    expect(await openOutcome({ path: join(fs512, 'lun.img'), size: 1 << 20, direct: true, blockSize: 512 })).toBe('opened');
    expect(await openOutcome({ path: loop4k, blockSize: 512 })).toBe('opened');
    expect(await openOutcome({ path: join(fs4k, 'buffered.img'), size: 1 << 20, blockSize: 512 })).toBe('opened');
  });
});
