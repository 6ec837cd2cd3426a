/** Small metadata files beside a LUN that must survive a crash whole or not at all. */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Replace the file atomically: write a temporary, fsync it, rename over, fsync the directory. */
export async function writeFileDurably(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  syncDirectory(dir);
}

/** Remove the file (absent is fine) and make the removal durable. */
export async function removeFileDurably(path: string): Promise<void> {
  try {
    await unlink(path);
    syncDirectory(dirname(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  }
}
