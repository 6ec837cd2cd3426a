/**
 * The key a LUN's data is encrypted with at rest (`--lun PATH,encrypt`): 64 random bytes
 * (an AES-256-XTS key pair) in `media.key` beside the LUN, created with mode 0600 at first
 * use. SANITIZE CRYPTO ERASE replaces it: the new key is durable before the operation
 * completes, and what the old key protected is unreadable from then on.
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { blockError } from './errors.js';

export const MEDIA_KEY_FILE = 'media.key';
export const MEDIA_KEY_BYTES = 64;

export class MediaKey {
  private constructor(
    private readonly path: string,
    private current: Buffer,
  ) {}

  /** The LUN's key, made now if it has none. A key file of the wrong length is an error (never replaced silently). */
  static async open(metaDir: string): Promise<MediaKey> {
    const path = join(metaDir, MEDIA_KEY_FILE);
    const existing = await readFileIfExists(path);
    if (existing !== undefined) {
      if (existing.length !== MEDIA_KEY_BYTES) throw blockError('EINVAL', `${path}: a media key is ${MEDIA_KEY_BYTES} bytes, this file has ${existing.length}`);
      return new MediaKey(path, existing);
    }
    const key = randomBytes(MEDIA_KEY_BYTES);
    await writeFileAtomic(path, key);
    return new MediaKey(path, key);
  }

  get key(): Buffer {
    return this.current;
  }

  /**
   * CRYPTO ERASE: a new key, durable before this resolves. The old key's bytes are first
   * overwritten in place (on a file system that rewrites in place, its blocks are gone, not
   * merely unlinked), then the new key replaces the file atomically.
   */
  async rotate(): Promise<void> {
    const next = randomBytes(MEDIA_KEY_BYTES);
    const old = await open(this.path, 'r+');
    try {
      await old.write(randomBytes(MEDIA_KEY_BYTES), 0, MEDIA_KEY_BYTES, 0);
      await old.datasync();
    } finally {
      await old.close();
    }
    await writeFileAtomic(this.path, next);
    this.current.fill(0);
    this.current = next;
  }
}
