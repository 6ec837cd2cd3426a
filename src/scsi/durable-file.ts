/** Small metadata files beside a LUN (PR state, a sanitize record) that must survive a crash whole or not at all. */
import { dirname } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../block/atomic-file.js';
import { nodeFiles } from '../block/durable-file.js';

/** Replace the file atomically (temporary, fsync, rename, directory fsync). */
export async function writeFileDurably(path: string, text: string): Promise<void> {
  await nodeFiles.mkdir(dirname(path));
  await writeFileAtomic(path, text);
}

/** Remove the file (absent is fine) and make the removal durable. */
export async function removeFileDurably(path: string): Promise<void> {
  try {
    await nodeFiles.unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await fsyncDir(dirname(path));
}
