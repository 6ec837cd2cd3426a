/** Opening a LUN's backing store (a file, or a Ceph RBD image) and finding its metadata directory. */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BlockDevice } from '../block/device.js';
import { FileBlockStore } from '../block/file-store.js';
import { EncryptedDevice } from '../block/encrypted-device.js';
import { MediaKey } from '../block/media-key.js';
import { RbdBlockStore } from '../block/rbd-store.js';
import { rbdMetaDir } from './rbd-lun.js';
import type { Logger } from '../util/log.js';
import type { LunConfig } from './serve-config.js';

/**
 * The LUN's store, and its metadata directory made (an encrypted LUN's store wrapped with
 * its media key, kept there). The store first: a LUN that cannot be opened leaves nothing behind.
 */
export async function openLunStore(lun: LunConfig, metaDir: string, log?: Logger): Promise<BlockDevice> {
  const store = await openPlainStore(lun);
  // A LUN is never shrunk (that would cut the host's data): say so rather than serve another size silently.
  if (lun.size !== undefined && store.size > lun.size) {
    log?.warn({ event: 'lun-not-shrunk', lun: lun.path, size: store.size, asked: lun.size }, `${lun.path} is ${store.size} bytes, more than size=${lun.size}: served whole (a LUN grows, never shrinks)`);
  }
  try {
    await mkdir(metaDir, { recursive: true });
    return lun.encrypt ? new EncryptedDevice(store, await MediaKey.open(metaDir)) : store;
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

async function openPlainStore(lun: LunConfig): Promise<BlockDevice> {
  const { size, readOnly } = lun;
  if (lun.rbd) return RbdBlockStore.open({ ...lun.rbd, readOnly, ...(size !== undefined ? { size } : {}) });
  if (size === undefined) return FileBlockStore.open({ path: lun.path, readOnly }).catch((e: NodeJS.ErrnoException) => {
    // The store's own message names the system call; a user needs to know how to get a LUN made.
    if (e.code === 'ENOENT') e.message = `${lun.path}: no such file (give size=SIZE to create a sparse LUN there)`;
    throw e;
  });
  await mkdir(dirname(lun.path), { recursive: true });
  return FileBlockStore.open({ path: lun.path, size, readOnly });
}

/** Per-LUN metadata (PR state, saved mode pages, replication state) lives beside a file image. */
export function metaDirFor(lun: LunConfig): string {
  if (lun.metaDir !== undefined) return lun.metaDir;
  if (lun.rbd) return rbdMetaDir(lun.rbd);
  return join(dirname(lun.path), `${basename(lun.path)}.tandem`);
}

/** What opening the LUN will create: a new image file, a new metadata directory. */
export interface CreatedByOpen {
  image: boolean;
  metaDir: boolean;
}

/** Asked before the LUN is opened (an RBD image is never created here). */
export function createdByOpen(lun: LunConfig, metaDir: string): CreatedByOpen {
  return { image: !lun.rbd && !existsSync(lun.path), metaDir: !existsSync(metaDir) };
}

/**
 * Takes away what a start that failed created (nothing has served it yet): left behind, a
 * new volume's record would make the next start take it for one with history — a primary
 * refused by its peer would stay a primary when restarted with --role backup as advised.
 */
export async function removeCreated(lun: LunConfig, metaDir: string, created: CreatedByOpen): Promise<void> {
  if (created.metaDir) await rm(metaDir, { recursive: true, force: true });
  if (created.image) await rm(lun.path, { force: true });
}
