/**
 * The clean-shutdown marker beside a volume's metadata: written (atomically, durably) as
 * the last step of a clean close, and removed durably as the first step of the next open,
 * so a crash at any later point is never mistaken for a clean shutdown. A clean shutdown
 * lets the next open take the spilled send queue up again; anything else means the
 * activity log's hot extents must be checked against the backup.
 */
import { join } from 'node:path';
import { fsyncDir, readFileIfExists, writeFileAtomic } from '../block/atomic-file.js';
import type { DurableFiles } from '../block/durable-file.js';

const MARKER = 'clean-shutdown';

/** Whether the last close was clean; the marker is gone (durably) when this resolves. */
export async function isCleanShutdown(metaDir: string, files: DurableFiles): Promise<boolean> {
  const path = join(metaDir, MARKER);
  const content = await readFileIfExists(path, files);
  if (content === undefined) return false;
  await files.unlink(path);
  await fsyncDir(metaDir, files);
  return content.toString() === 'clean\n';
}

export async function markCleanShutdown(metaDir: string, files: DurableFiles): Promise<void> {
  await writeFileAtomic(join(metaDir, MARKER), 'clean\n', files);
}
