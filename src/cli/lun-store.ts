/** Opening a LUN's backing store (a file, or a Ceph RBD image) and finding its metadata directory. */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BlockDevice } from '../block/device.js';
import { FileBlockStore } from '../block/file-store.js';
import { EncryptedDevice } from '../block/encrypted-device.js';
import { MediaKey } from '../block/media-key.js';
import { RbdBlockStore } from '../block/rbd-store.js';
import { rbdMetaDir } from './rbd-lun.js';
import type { LunConfig } from './serve-config.js';

/** The LUN's store; an encrypted LUN's wrapped with its media key (kept in `metaDir`, which must exist). */
export async function openLunStore(lun: LunConfig, metaDir: string): Promise<BlockDevice> {
  const store = await openPlainStore(lun);
  if (!lun.encrypt) return store;
  try {
    return new EncryptedDevice(store, await MediaKey.open(metaDir));
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

async function openPlainStore(lun: LunConfig): Promise<BlockDevice> {
  const { size, readOnly } = lun;
  if (lun.rbd) return RbdBlockStore.open({ ...lun.rbd, readOnly, ...(size !== undefined ? { size } : {}) });
  await mkdir(dirname(lun.path), { recursive: true });
  return FileBlockStore.open({ path: lun.path, size, readOnly });
}

/** Per-LUN metadata (PR state, saved mode pages, replication state) lives beside a file image. */
export function metaDirFor(lun: LunConfig): string {
  if (lun.metaDir !== undefined) return lun.metaDir;
  if (lun.rbd) return rbdMetaDir(lun.rbd);
  return join(dirname(lun.path), `${basename(lun.path)}.tandem`);
}
