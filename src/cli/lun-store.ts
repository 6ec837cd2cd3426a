/** Opening a LUN's backing store (a file, or a Ceph RBD image) and finding its metadata directory. */
import { existsSync } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
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
    await mkdir(metaDir, { recursive: true }).catch(namingDirectory(`the metadata directory ${metaDir}`));
    return lun.encrypt ? new EncryptedDevice(store, await MediaKey.open(metaDir)) : store;
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

async function openPlainStore(lun: LunConfig): Promise<BlockDevice> {
  const { size, readOnly } = lun;
  if (lun.rbd) return RbdBlockStore.open({ ...lun.rbd, readOnly, ...(size !== undefined ? { size } : {}) });
  // With O_DIRECT the store refuses blocks smaller than the medium's sectors (each I/O would fail).
  const file = { path: lun.path, readOnly, ...(lun.direct ? { direct: true, blockSize: lun.blockSize } : {}) };
  if (size === undefined) return FileBlockStore.open(file).catch((e: NodeJS.ErrnoException) => {
    // The store's own message names the system call; a user needs to know how to get a LUN made.
    if (e.code === 'ENOENT') e.message = `${lun.path}: no such file (give size=SIZE to create a sparse LUN there)`;
    throw e;
  });
  await mkdir(dirname(lun.path), { recursive: true }).catch(namingDirectory(`the LUN image ${lun.path}`));
  const creating = !existsSync(lun.path);
  return FileBlockStore.open({ ...file, size }).catch((e: NodeJS.ErrnoException) => {
    throw creating ? namingDirectory(`the LUN image ${lun.path}`, dirname(lun.path))(e) : e;
  });
}

/** Why a directory could not be written to; the data directory's problem, whichever call met it. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * An error rethrown naming the directory that refused `what` (the system call's own message
 * names the file or a directory mkdir tried to make, not the one that is not writable).
 * `dir`: that directory; by default the parent of the one mkdir could not make.
 */
function namingDirectory(what: string, dir?: string): (e: NodeJS.ErrnoException) => never {
  return (e) => {
    const refusing = dir ?? (e.path !== undefined ? dirname(e.path) : undefined);
    if (e.code !== undefined && NOT_WRITABLE.has(e.code) && refusing !== undefined) {
      // The code stays: serve reports it as it reports a port in use, one line and exit 1.
      e.message = `cannot create ${what}: the directory ${resolve(refusing)} is not writable (${e.code})`;
    }
    throw e;
  };
}

/** Per-LUN metadata (PR state, saved mode pages, replication state) lives beside a file image. */
export function metaDirFor(lun: LunConfig): string {
  if (lun.metaDir !== undefined) return lun.metaDir;
  if (lun.rbd) return rbdMetaDir(lun.rbd);
  return join(dirname(lun.path), `${basename(lun.path)}.tandem`);
}

/** What opening the LUN will create: a new image file, a new metadata directory, the directories made for the image. */
export interface CreatedByOpen {
  image: boolean;
  metaDir: boolean;
  /** The image's missing parent directories, deepest first (`./data` of the default LUN). */
  dirs: string[];
}

/** Asked before the LUN is opened (an RBD image is never created here). */
export function createdByOpen(lun: LunConfig, metaDir: string): CreatedByOpen {
  const dirs: string[] = [];
  if (!lun.rbd) for (let d = dirname(lun.path); !existsSync(d) && dirname(d) !== d; d = dirname(d)) dirs.push(d);
  return { image: !lun.rbd && !existsSync(lun.path), metaDir: !existsSync(metaDir), dirs };
}

/**
 * Takes away what a start that failed created (nothing has served it yet): left behind, a
 * new volume's record would make the next start take it for one with history — a primary
 * refused by its peer would stay a primary when restarted with --role backup as advised.
 */
export async function removeCreated(lun: LunConfig, metaDir: string, created: CreatedByOpen): Promise<void> {
  if (created.metaDir) await rm(metaDir, { recursive: true, force: true });
  if (created.image) await rm(lun.path, { force: true });
  // Only while empty: another LUN of the same start may still have its image there.
  for (const d of created.dirs) await rmdir(d).catch(() => undefined);
}
