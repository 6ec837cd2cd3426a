/**
 * Small metadata files replaced atomically: write a temp file, fsync it, rename over the
 * target, fsync the directory. A crash leaves either the old or the new content, never a mix.
 */
import { basename, dirname, join } from 'node:path';
import { nodeFiles, type DurableFiles } from './durable-file.js';

export async function writeFileAtomic(path: string, data: Buffer | string, files: DurableFiles = nodeFiles): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const fh = await files.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await files.rename(tmp, path);
  } catch (e) {
    await files.unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dirname(path), files);
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
