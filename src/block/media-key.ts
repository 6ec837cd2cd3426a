/**
 * The key a LUN's data is encrypted with at rest (`--lun PATH,encrypt`): 64 random bytes
 * (an AES-256-XTS key pair) in `media.key` beside the LUN, created with mode 0600 at first
 * use. SANITIZE CRYPTO ERASE replaces it: the new key is durable before the operation
 * completes, and what the old key protected is unreadable from then on.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { nodeFiles, type DurableFile, type DurableFiles } from './durable-file.js';
import { blockError } from './errors.js';

export const MEDIA_KEY_FILE = 'media.key';
export const MEDIA_KEY_BYTES = 64;

export class MediaKey {
  /** Set when a failed rotation left it unknown which key the file holds durably: no key is handed out. */
  private unknown: Error | undefined;

  private constructor(
    private readonly path: string,
    private current: Buffer,
    private readonly files: DurableFiles,
  ) {}

  /** The LUN's key, made now if it has none. A key file of the wrong length is an error (never replaced silently). */
  static async open(metaDir: string, files: DurableFiles = nodeFiles): Promise<MediaKey> {
    const path = join(metaDir, MEDIA_KEY_FILE);
    const existing = await readFileIfExists(path, files);
    if (existing !== undefined) {
      if (existing.length !== MEDIA_KEY_BYTES) throw blockError('EINVAL', `${path}: a media key is ${MEDIA_KEY_BYTES} bytes, this file has ${existing.length}`);
      return new MediaKey(path, existing, files);
    }
    const key = randomBytes(MEDIA_KEY_BYTES);
    await writeFileAtomic(path, key, files);
    return new MediaKey(path, key, files);
  }

  /**
   * The key data is encrypted with: always the one the key file holds durably, so that what
   * is written with it reads back after a restart. Throws (EIO: the LUN's I/O fails) after a
   * rotation failed in a way that left the file's durable content unknown.
   */
  get key(): Buffer {
    if (this.unknown) throw blockError('EIO', `${this.path}: the media key on disk is unknown after a failed key change (${this.unknown.message}); restart the LUN`);
    return this.current;
  }

  /**
   * CRYPTO ERASE: a new key, durable before this resolves. The new key is written over the
   * old one in place (on a file system that rewrites in place, the old key's blocks are gone,
   * not merely unlinked; 64 bytes at offset 0 lie in one sector, which a power loss does not
   * tear: the file holds the old key or the new one). The key in use follows the file: the
   * new key as soon as it is durable (even if closing the file then fails), the old one if
   * it could not be written; if the write may have reached the disk but its sync failed, the
   * old key is put back durably, and when even that fails no key is handed out any more
   * (see `key`): data written under a key the file no longer holds would be lost at restart.
   */
  async rotate(): Promise<void> {
    if (this.unknown) throw this.unknown;
    const next = randomBytes(MEDIA_KEY_BYTES);
    const fh = await this.files.open(this.path, 'r+');
    try {
      try {
        await writeKey(fh, next);
      } catch (e) {
        await this.restore(fh, e);
        throw e;
      }
      this.current.fill(0);
      this.current = next;
    } finally {
      await fh.close();
    }
  }

  /** After a failed write of a new key: the old key back in the file, durably, or no key at all. */
  private async restore(fh: DurableFile, cause: unknown): Promise<void> {
    try {
      await writeKey(fh, this.current);
    } catch {
      this.unknown = new Error(`key change failed (${(cause as Error).message}) and the old key could not be written back`, { cause });
    }
  }
}

/** `key` over the file's content in place, durable when this resolves. */
async function writeKey(fh: DurableFile, key: Buffer): Promise<void> {
  const { bytesWritten } = await fh.write(key, 0, key.length, 0);
  if (bytesWritten !== key.length) throw blockError('EIO', `media key: ${bytesWritten} of ${key.length} bytes written`);
  await fh.datasync();
}
