/**
 * Small metadata files replaced atomically: write a temp file, fsync it, rename over the
 * target, fsync the directory. A crash leaves either the old or the new content, never a mix.
 */
import { basename, dirname, join } from 'node:path';
import { nodeFiles, type DurableFiles } from './durable-file.js';

/**
 * The rename was done but the directory sync failed: the file holds the new content now,
 * and a crash may still bring back the old one. Any other failure of writeFileAtomic left
 * the old content in place (and no temp file, when it could be removed).
 */
export class AtomicReplaceUnsyncedError extends Error {
  constructor(path: string, cause: unknown) {
    super(`${path}: replaced, but the directory sync failed: ${(cause as Error).message}`, { cause });
    this.name = 'AtomicReplaceUnsyncedError';
  }
}

export async function writeFileAtomic(path: string, data: Buffer | string, files: DurableFiles = nodeFiles): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    const fh = await files.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await files.rename(tmp, path);
  } catch (e) {
    // A full disk is the likely cause: the temp file's blocks are given back at once.
    await files.unlink(tmp).catch(() => undefined);
    throw e;
  }
  try {
    await fsyncDir(dirname(path), files);
  } catch (e) {
    throw new AtomicReplaceUnsyncedError(path, e);
  }
}

export async function fsyncDir(dir: string, files: DurableFiles = nodeFiles): Promise<void> {
  await files.syncDir(dir);
}

/** The file's content, or undefined when it does not exist. */
export async function readFileIfExists(path: string, files: DurableFiles = nodeFiles): Promise<Buffer | undefined> {
  try {
    return await files.readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
