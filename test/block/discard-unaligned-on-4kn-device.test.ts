/**
 * Discard on a block device with 4096-byte sectors (a 4Kn disk) of ranges that are not
 * 4 KiB aligned: a LUN's default block size is 512, so an UNMAP of one 512-byte LBA must
 * work there, and the range must read back as zeroes (the LU reports LBPRZ=1). The kernel
 * refuses (EINVAL) a discard or zeroing of anything but whole logical blocks: the store
 * deallocates the whole blocks inside the range (fallocate PUNCH_HOLE on the device, which
 * the kernel turns into WRITE ZEROES with unmap allowed: zeroes guaranteed, unlike
 * BLKDISCARD) and writes zeroes over the unaligned head and tail.
 *
 * The devices: loop devices over sparse files, with 4096- and 512-byte sectors. Needs root
 * (losetup); skips otherwise.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlockStore } from '../../src/block/file-store.js';
import { makeTempDir } from './temp-dir.js';

const MiB = 1 << 20;

function canLoop(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('losetup', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!canLoop())('FileBlockStore.discard on block devices', () => {
  const temp = makeTempDir('discard-4kn');
  const loops: string[] = [];

  function attach(backing: string, sectorSize: number): string {
    execFileSync('truncate', ['-s', '16M', temp.file(backing)]);
    const loop = execFileSync('losetup', ['--find', '--show', '-b', String(sectorSize), temp.file(backing)], { encoding: 'utf8' }).trim();
    loops.push(loop);
    return loop;
  }

  let loop4k = '';
  let loop512 = '';
  beforeAll(() => {
    loop4k = attach('backing-4k', 4096);
    loop512 = attach('backing-512', 512);
  });

  afterAll(() => {
    for (const loop of loops) {
      try {
        execFileSync('losetup', ['-d', loop]);
      } catch {
        // best effort: the temp dir goes anyway
      }
    }
    temp.remove();
  });

  /** The device's content at [offset, offset+length), bypassing the page cache. */
  async function onDisk(path: string, offset: number, length: number): Promise<Buffer> {
    const reader = await FileBlockStore.open({ path, readOnly: true, direct: true });
    try {
      const b = Buffer.alloc(length);
      await reader.read(b, offset);
      return b;
    } finally {
      await reader.close();
    }
  }

  const zeroes = (b: Buffer) => b.every((x) => x === 0);
  const filled = (b: Buffer, v: number) => b.every((x) => x === v);

  it('one 512-byte LBA inside a 4 KiB sector reads back as zeroes, its neighbours untouched', async () => {
    const store = await FileBlockStore.open({ path: loop4k });
    try {
      expect(store.isBlockDevice).toBe(true);
      expect(store.logicalBlockSize).toBe(4096);
      expect(store.canDiscard).toBe(true);
      await store.write(Buffer.alloc(8192, 0xee), 0, true);
      await store.discard(512, 512);
      const back = Buffer.alloc(8192);
      await store.read(back, 0);
      expect(filled(back.subarray(0, 512), 0xee)).toBe(true);
      expect(zeroes(back.subarray(512, 1024))).toBe(true);
      expect(filled(back.subarray(1024), 0xee)).toBe(true);
      await store.flush();
      expect((await onDisk(loop4k, 0, 8192)).equals(back)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('a range with an unaligned head and tail: whole sectors deallocated, head and tail zeroed', async () => {
    const store = await FileBlockStore.open({ path: loop4k });
    try {
      const base = 4 * MiB;
      await store.write(Buffer.alloc(MiB, 0x77), base, true);
      const backingBlocks = statSync(temp.file('backing-4k')).blocks;
      // From 512 bytes into the first sector to 1536 bytes into the 200th.
      const from = base + 512;
      const to = base + 199 * 4096 + 1536;
      await store.discard(from, to - from);
      await store.flush();
      for (const view of [async (o: number, l: number) => {
        const b = Buffer.alloc(l);
        await store.read(b, o);
        return b;
      }, (o: number, l: number) => onDisk(loop4k, o, l)]) {
        const back = await view(base, MiB);
        expect(filled(back.subarray(0, 512), 0x77)).toBe(true);
        expect(zeroes(back.subarray(512, to - base))).toBe(true);
        expect(filled(back.subarray(to - base), 0x77)).toBe(true);
      }
      // The whole sectors were deallocated (the loop device punched holes in its backing file), not written with zeroes.
      const freed = (backingBlocks - statSync(temp.file('backing-4k')).blocks) * 512;
      expect(freed).toBeGreaterThanOrEqual(198 * 4096);
    } finally {
      await store.close();
    }
  });

  it('a range inside one sector spanning no whole sector, and one ending on the device end', async () => {
    const store = await FileBlockStore.open({ path: loop4k });
    try {
      const end = store.size;
      await store.write(Buffer.alloc(3 * 4096, 0x33), end - 3 * 4096, true);
      await store.discard(end - 3 * 4096 + 1024, 2048);
      await store.discard(end - 4096 - 512, 4096 + 512);
      await store.flush();
      const back = await onDisk(loop4k, end - 3 * 4096, 3 * 4096);
      expect(filled(back.subarray(0, 1024), 0x33)).toBe(true);
      expect(zeroes(back.subarray(1024, 3072))).toBe(true);
      expect(filled(back.subarray(3072, 2 * 4096 - 512), 0x33)).toBe(true);
      expect(zeroes(back.subarray(2 * 4096 - 512))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('on 512-byte sectors any LBA range is whole sectors', async () => {
    const store = await FileBlockStore.open({ path: loop512 });
    try {
      expect(store.logicalBlockSize).toBe(512);
      await store.write(Buffer.alloc(4096, 0x44), 0, true);
      await store.discard(512, 1024);
      await store.flush();
      const back = await onDisk(loop512, 0, 4096);
      expect(filled(back.subarray(0, 512), 0x44)).toBe(true);
      expect(zeroes(back.subarray(512, 1536))).toBe(true);
      expect(filled(back.subarray(1536), 0x44)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
