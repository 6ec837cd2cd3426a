/**
 * The point catalogue's file at open (decoded, checked against the live image, errors
 * naming the file; what a crash left removed) and the checks a new point's entry passes.
 */
import { join } from 'node:path';
import type { BlockDevice } from '../../block/device.js';
import { readFileIfExists } from '../../block/atomic-file.js';
import type { DurableFiles } from '../../block/durable-file.js';
import type { Logger } from '../../util/log.js';
import { dataFileName, mapFileName } from './cow-file.js';
import { MAX_LABEL_BYTES, MAX_POINTS, decodeCatalogue, emptyCatalogue, goneKind, type Catalogue, type PointOrigin } from './point-catalogue.js';
import type { CowStore } from './cow-file.js';
import { PointError, PointFormatError } from './point-error.js';

const ORIGINS: readonly PointOrigin[] = ['pass', 'scheduled', 'manual'];

/**
 * The catalogue on disk (or an empty one), checked against the image. Without points it
 * takes the image's size and the granularity asked for; with points it keeps its
 * granularity, and an image larger than its volume is left for grow-store.ts to grow the
 * points to. A smaller one is refused: the points hold nothing of the bytes it lost.
 */
export async function loadCatalogue(files: DurableFiles, path: string, image: BlockDevice, granularity: number, asked: boolean, log: Logger): Promise<Catalogue> {
  const raw = await readFileIfExists(path, files);
  if (raw === undefined) return emptyCatalogue(granularity, image.size);
  let cat: Catalogue;
  try {
    cat = decodeCatalogue(raw);
  } catch (e) {
    if (e instanceof PointFormatError) throw new PointFormatError(e.reason, `${path}: ${e.message}`);
    throw e;
  }
  if (cat.points.length === 0) return { ...cat, volumeSize: image.size, granularity: asked ? granularity : cat.granularity };
  if (image.size < cat.volumeSize) {
    throw new PointFormatError('geometry', `${image.path}: the image is ${image.size} bytes, smaller than the ${cat.volumeSize}-byte volume its recovery points were taken of (a LUN can grow, not shrink)`);
  }
  if (asked && granularity !== cat.granularity) log.warn({ event: 'point-granularity-kept', granularity: cat.granularity, asked: granularity }, 'existing points keep their copy-on-write unit');
  return cat;
}


/** What a crash may have left: files of dropped stores, and of a store being created. */
export async function removeLeftovers(files: DurableFiles, dir: string, cat: Catalogue): Promise<void> {
  for (const s of [...cat.garbage, cat.nextStore]) await unlinkStoreFiles(files, dir, s);
  await files.syncDir(dir);
}

/** A new point's fields and its place after the catalogue's last: PointError otherwise. */
export function checkTake(point: { id: number; at: number; origin: PointOrigin; label?: string }, cat: Catalogue): void {
  const { id, at, origin, label } = point;
  if (!Number.isSafeInteger(id) || id < 0) throw new PointError(`cannot take point ${id}: an id is a non-negative integer`);
  if (!Number.isSafeInteger(at)) throw new PointError(`cannot take point ${id}: its time ${at} is not an integer number of ms`);
  if (!ORIGINS.includes(origin)) throw new PointError(`cannot take point ${id}: origin ${String(origin)} is not one of ${ORIGINS.join(', ')}`);
  if (label !== undefined && Buffer.byteLength(label, 'utf8') > MAX_LABEL_BYTES) throw new PointError(`cannot take point ${id}: its label is longer than ${MAX_LABEL_BYTES} bytes`);
  const last = cat.lastId;
  if (last !== undefined && id <= last) throw new PointError(`cannot take point ${id}: point ids must increase, and point ${last} was taken already`);
  if (cat.points.length >= MAX_POINTS) throw new PointError(`cannot take point ${id}: the store holds ${MAX_POINTS} points, its limit`);
}

/** A store's data and map files, gone (already gone is fine). */
export async function unlinkStoreFiles(files: DurableFiles, dir: string, store: number): Promise<void> {
  for (const name of [dataFileName(store), mapFileName(store)]) await unlinkIfExists(files, join(dir, name));
}

async function unlinkIfExists(files: DurableFiles, path: string): Promise<void> {
  try {
    await files.unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Closes `stores` and unlinks their files, then syncs the directory; returns the store numbers durably gone (none after a failure: they stay garbage, removed at the next open). */
export async function removeStoreFiles(files: DurableFiles, dir: string, stores: readonly CowStore[], log: Logger): Promise<number[]> {
  try {
    for (const s of stores) {
      await s.close();
      await unlinkStoreFiles(files, dir, s.store);
    }
    await files.syncDir(dir);
    return stores.map((s) => s.store);
  } catch (e) {
    log.warn({ event: 'point-files-left', stores: stores.map((s) => s.store), err: (e as Error).message }, 'could not remove the files of a dropped store');
    return [];
  }
}

/** The error for an id the store does not hold: why it is gone, if it ever was, else what the store holds. */
export function pointNotHeld(id: number, cat: Catalogue, ids: readonly number[]): PointError {
  if (!Number.isSafeInteger(id) || id < 0) return new PointError(`${id} is not a point id (a non-negative integer)`);
  const kind = goneKind(cat, id);
  if (kind === 'pruned') return new PointError(`point ${id} was pruned`);
  if (kind === 'dropped') return new PointError(`point ${id} was dropped by a restore to an older point`);
  if (kind === 'out-of-space') return new PointError(`point ${id} was given up when the disk was full`);
  const held = ids.length === 0 ? 'no points' : ids.length === 1 ? `only point ${ids[0]}` : `${ids.length} points, ${ids[0]} to ${ids[ids.length - 1]}`;
  return new PointError(`no point ${id}: the store holds ${held}`);
}
