/**
 * The media key an encrypted LUN encrypts with is always the one its key file holds durably,
 * whatever step of a key change (SANITIZE CRYPTO ERASE) fails: so a write acknowledged after
 * a failed change still reads back after a restart. The old MediaKey.rotate overwrote the
 * key file with random bytes (durably) and then replaced it through writeFileAtomic: when
 * that failed (ENOSPC for the temp file on a full file system, a failed rename or directory
 * sync), the LUN went on with the old key in memory while the file held random bytes or the
 * new key, and everything written afterwards was garbage after a restart.
 *
 * Each run fails the k-th file operation of the rotation (k = 1, 2, ... until one succeeds
 * without a fault), then writes through the LUN, loses power, and reads back. The file
 * system is PowerLossFiles (test/support), which forgets at a crash what was not synced.
 */
import { describe, expect, it } from 'vitest';
import type { DurableFile, DurableFiles, OpenFlags } from '../../src/block/durable-file.js';
import { EncryptedDevice, SECTOR } from '../../src/block/encrypted-device.js';
import { MEDIA_KEY_FILE, MediaKey } from '../../src/block/media-key.js';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { PowerLossFiles } from '../support/power-loss-files.js';
import { seededRng } from '../support/sim-scheduler.js';

const META = '/meta';

/** PowerLossFiles whose `failAt`-th operation (counted from `armed`) fails with `code`; `failFrom` fails it and every one after. */
class FaultyFiles implements DurableFiles {
  ops = 0;
  failAt = 0;
  sticky = false;
  code = 'EIO';
  constructor(public inner: PowerLossFiles) {}

  private async step<T>(what: string, run: () => Promise<T>): Promise<T> {
    this.ops++;
    if (this.failAt > 0 && (this.ops === this.failAt || (this.sticky && this.ops > this.failAt))) {
      throw Object.assign(new Error(`${this.code}: injected, ${what}`), { code: this.code });
    }
    return run();
  }

  async open(path: string, flags: OpenFlags, mode?: number): Promise<DurableFile> {
    const fh = await this.step(`open ${path}`, () => this.inner.open(path, flags, mode));
    return {
      read: (b, o, l, p) => this.step('read', () => fh.read(b, o, l, p)),
      write: (b, o, l, p) => this.step('write', () => fh.write(b, o, l, p)),
      writev: (bs, p) => this.step('writev', () => fh.writev(bs, p)),
      writeFile: (d) => this.step('writeFile', () => fh.writeFile(d)),
      truncate: (l) => this.step('truncate', () => fh.truncate(l)),
      datasync: () => this.step('datasync', () => fh.datasync()),
      sync: () => this.step('sync', () => fh.sync()),
      stat: () => fh.stat(),
      // The descriptor is released whatever close reports (as Linux's close).
      close: () => fh.close().then(() => this.step('close', () => Promise.resolve())),
    };
  }

  stat = (path: string) => this.inner.stat(path);
  readFile = (path: string) => this.step(`readFile ${path}`, () => this.inner.readFile(path));
  rename = (from: string, to: string) => this.step('rename', () => this.inner.rename(from, to));
  unlink = (path: string) => this.step('unlink', () => this.inner.unlink(path));
  mkdir = (path: string) => this.inner.mkdir(path);
  syncDir = (path: string) => this.step('syncDir', () => this.inner.syncDir(path));
}

const sector = (fill: number) => Buffer.alloc(SECTOR, fill);

async function readSector(dev: EncryptedDevice, lba: number): Promise<Buffer> {
  const b = Buffer.alloc(SECTOR);
  await dev.read(b, lba * SECTOR);
  return b;
}

describe('MediaKey.rotate that fails at any step', () => {
  for (const sticky of [false, true]) {
    it(`data acknowledged after the rotation, failed or not, reads back after a power loss (${sticky ? 'every operation from the k-th on fails' : 'the k-th operation fails'})`, async () => {
      let completedWithoutFault = false;
      for (let k = 1; k <= 30 && !completedWithoutFault; k++) {
        for (const keep of ['none', 'some'] as const) {
          const inner = new PowerLossFiles();
          await inner.mkdir(META);
          const files = new FaultyFiles(inner);
          const store = new MemoryBlockStore({ size: 8 * SECTOR });
          const key = await MediaKey.open(META, files);
          const dev = new EncryptedDevice(store, key);
          await dev.write(sector(0x11), 0, true);

          files.ops = 0;
          files.failAt = k;
          files.sticky = sticky;
          const rotated = await key.rotate().then(
            () => 'ok',
            (e: Error) => e,
          );
          const faulted = files.ops >= k;
          files.failAt = 0;
          if (!faulted) completedWithoutFault = true;

          // The LUN goes on (EXIT FAILURE MODE, or the next command): a write is acknowledged, or refused.
          const written = await dev.write(sector(0x22), SECTOR, true).then(
            () => true,
            () => false,
          );
          if (written) expect((await readSector(dev, 1)).equals(sector(0x22))).toBe(true);
          if (rotated === 'ok') expect(written, `k=${k}: the rotation succeeded, writes must go on`).toBe(true);

          // Power loss, restart: the key comes from the file.
          const survivor = inner.crash({ keep, rng: seededRng(k) });
          const reopened = new EncryptedDevice(store, await MediaKey.open(META, survivor));
          const what = `k=${k} (${rotated === 'ok' ? 'rotated' : `failed: ${(rotated as Error).message}`}), crash keeps ${keep}`;
          if (written) expect((await readSector(reopened, 1)).equals(sector(0x22)), `${what}: an acknowledged write is unreadable after a restart`).toBe(true);
          // A completed crypto erase leaves the old data unreadable.
          if (rotated === 'ok') expect((await readSector(reopened, 0)).equals(sector(0x11)), `${what}: old data readable after the erase`).toBe(false);
        }
      }
      expect(completedWithoutFault, 'the rotation needs more than 30 file operations').toBe(true);
    });
  }

  it('a rotation that cannot change the key keeps the old one, and the LUN goes on with it', async () => {
    const inner = new PowerLossFiles();
    await inner.mkdir(META);
    const files = new FaultyFiles(inner);
    const key = await MediaKey.open(META, files);
    const before = Buffer.from(key.key);
    files.ops = 0;
    files.failAt = 2; // the write of the new key (after the open)
    files.code = 'ENOSPC';
    await expect(key.rotate()).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(key.key.equals(before)).toBe(true);
    expect(inner.peek(`${META}/${MEDIA_KEY_FILE}`)?.equals(before)).toBe(true);
  });

  it('when neither the new key nor the old one can be made durable, the key is withheld: the LUN refuses I/O', async () => {
    const inner = new PowerLossFiles();
    await inner.mkdir(META);
    const files = new FaultyFiles(inner);
    const store = new MemoryBlockStore({ size: 8 * SECTOR });
    const key = await MediaKey.open(META, files);
    const dev = new EncryptedDevice(store, key);
    files.ops = 0;
    files.failAt = 3; // the datasync of the new key; every operation after fails too
    files.sticky = true;
    await expect(key.rotate()).rejects.toMatchObject({ code: 'EIO' });
    await expect(dev.write(sector(1), 0, true)).rejects.toMatchObject({ code: 'EIO' });
    await expect(dev.read(Buffer.alloc(SECTOR), 0)).rejects.toMatchObject({ code: 'EIO' });
    await expect(key.rotate()).rejects.toThrow(/could not be written back/);
  });
});
