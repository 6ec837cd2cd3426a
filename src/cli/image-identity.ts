/**
 * Whether a file LUN's image is the file its replication state describes. That state lives
 * beside the image (`<image>.tandem`, or a configured metaDir), so the image can be deleted
 * or replaced without it; the node then served a blank image as if it held the volume's
 * history, and its pair, comparing generations, said it was in step. The image's inode and
 * birth time are recorded when a replicated LUN is first opened; a missing image, or another
 * file in its place, stops the server with one line instead.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../block/atomic-file.js';
import { IDENTITY_FILE } from '../replication/volume-record.js';
import type { LunConfig } from './serve-config.js';
import { ReplicaSetupError } from './replica-setup-error.js';

export const IMAGE_RECORD_FILE = 'image.json';

interface ImageRecord {
  ino: number;
  /** 0 where the file system keeps no birth time. */
  birthtimeMs: number;
}

/** Before a file LUN is opened (which would create a missing image): refuse a missing image whose replication state remains. */
export async function refuseMissingImage(lun: LunConfig, metaDir: string): Promise<void> {
  if (lun.rbd || (await exists(lun.path))) return;
  if (!(await exists(join(metaDir, IDENTITY_FILE)))) return;
  throw new ReplicaSetupError(
    `LUN ${lun.path}: no such file, but ${metaDir} holds its replication state: a new blank image would be served as the volume; ` +
      `put the image back, or remove ${metaDir} to start a new one there with no history`,
  );
}

/**
 * For a replicated file LUN, once open: the first time, records which file the image is;
 * afterwards refuses any other file (a copy, a new blank one, a different disk's image).
 */
export async function checkImageIdentity(lun: LunConfig, metaDir: string): Promise<void> {
  if (lun.rbd) return;
  const st = await stat(lun.path);
  if (!st.isFile()) return;
  const current: ImageRecord = { ino: st.ino, birthtimeMs: Math.round(st.birthtimeMs) };
  const path = join(metaDir, IMAGE_RECORD_FILE);
  const recorded = await readRecord(path);
  if (!recorded) return writeFileAtomic(path, `${JSON.stringify(current)}\n`);
  // A birth time of 0 means the file system keeps none: the inode alone decides there.
  const sameBirth = recorded.birthtimeMs === 0 || current.birthtimeMs === 0 || recorded.birthtimeMs === current.birthtimeMs;
  if (recorded.ino === current.ino && sameBirth) return;
  throw new ReplicaSetupError(
    `LUN ${lun.path}: not the file whose replication state ${metaDir} holds (inode ${current.ino}, recorded ${recorded.ino}): ` +
      `a replaced or copied image need not hold what that state says it does; put the original back, ` +
      `or remove ${metaDir} to start this image with no history (as a backup it then gets a full copy from its peer)`,
  );
}

async function readRecord(path: string): Promise<ImageRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let parsed: Partial<ImageRecord> | undefined;
  try {
    parsed = JSON.parse(text) as Partial<ImageRecord>;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed?.ino !== 'number' || typeof parsed.birthtimeMs !== 'number') throw new ReplicaSetupError(`${path}: not an image record (remove it to record the image again)`);
  return { ino: parsed.ino, birthtimeMs: parsed.birthtimeMs };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    },
  );
}
