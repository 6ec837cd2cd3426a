/**
 * Opening the catalogue's stores, and keeping every point when the LUN's image grew after
 * they were taken (`tandem serve --lun PATH,size=BIGGER`), as ZFS, Ceph RBD and DRBD keep
 * snapshots across a volume growth. A point taken before the growth reads zeroes past its
 * old end (those bytes did not exist then); one taken after reads the live image there.
 * With the stores opened on the new size, the growth is, each step durable before the next:
 * 1. every store's data file is extended to the new size (reading zeroes past the old end)
 *    and its map to the new bit count, the header saying the new size and still the size its
 *    point was taken of (cow-file.ts: past that, a store reads zeroes and counts no space);
 * 2. the newest store, through which every older point reads what no store holds, marks the
 *    units past the old end held, writing no data: its data file reads zeroes there, whatever
 *    the image's new part holds (a grown block device may hold stale bytes). When the old
 *    size ends inside a unit, the store must hold that unit too, zeroes past the old end: a
 *    store that holds it already reads zeroes there (its data file was the old size);
 *    otherwise the image's bytes up to the old end are copied in first;
 * 3. the catalogue is rewritten with the new size: the commit.
 * A crash before 3 leaves the old catalogue, and what 1 and 2 did is harmless under it: files
 * longer, headers of either size, bits past the old units, the old last unit held with the
 * image's own bytes. Opening then grows the stores again (a header may say any size from the
 * catalogue's to the image's), each step doing what is left. Nothing writes the image before
 * the store is open, so its bytes are still those the growth started from.
 */
import type { BlockDevice } from '../../block/device.js';
import { writeFileAtomic } from '../../block/atomic-file.js';
import type { DurableFiles } from '../../block/durable-file.js';
import type { Logger } from '../../util/log.js';
import { CowStore } from './cow-file.js';
import { Geometry } from './geometry.js';
import { encodeCatalogue, type Catalogue } from './point-catalogue.js';
import { PointFormatError } from './point-error.js';

export interface StoresToOpen {
  files: DurableFiles;
  /** The points directory, and the catalogue's path in it. */
  dir: string;
  path: string;
  /** As loaded: its volume size at most the image's (catalogue-file.ts refuses a smaller image). */
  cat: Catalogue;
  image: BlockDevice;
  log: Logger;
}

/**
 * The catalogue's stores, oldest first, open on the image's size: the points grown to it
 * first when the image grew (the catalogue returned then says the new size). A store's
 * PointFormatError names the catalogue.
 */
export async function openStores(o: StoresToOpen): Promise<{ cat: Catalogue; stores: CowStore[] }> {
  const geometry = new Geometry(o.image.size, o.cat.granularity);
  const stores: CowStore[] = [];
  try {
    for (const entry of o.cat.points) stores.push(await CowStore.open(o.files, o.dir, entry.store, entry.id, geometry, o.cat.volumeSize));
    const cat = o.cat.volumeSize < geometry.volumeSize ? await grow(o, stores, geometry) : o.cat;
    return { cat, stores };
  } catch (e) {
    await Promise.allSettled(stores.map((s) => s.close()));
    if (e instanceof PointFormatError) throw new PointFormatError(e.reason, `${o.path}: ${e.message}`);
    throw e;
  }
}

/** Steps 1 to 3 of the file comment, on stores open on the new geometry; returns the committed catalogue. */
async function grow(o: StoresToOpen, stores: CowStore[], to: Geometry): Promise<Catalogue> {
  const from = o.cat.volumeSize;
  for (const store of stores) await store.fitToVolume();
  const newest = stores[stores.length - 1];
  if (newest) await holdPastOldEnd(newest, o.image, from, to);
  const grown = { ...o.cat, volumeSize: to.volumeSize };
  await writeFileAtomic(o.path, encodeCatalogue(grown), o.files);
  o.log.info({ event: 'points-grown', from, to: to.volumeSize, points: stores.length }, 'the volume grew: its recovery points are kept, those taken before read zeroes past their end');
  return grown;
}

/** Step 2: `newest` holds every unit past the old end `from`, reading zeroes past it. */
async function holdPastOldEnd(newest: CowStore, image: BlockDevice, from: number, g: Geometry): Promise<void> {
  const oldUnits = Math.ceil(from / g.granularity);
  const runs: Array<[number, number]> = [];
  const lastOld = oldUnits - 1;
  if (from % g.granularity !== 0 && !newest.held.has(lastOld)) {
    const start = g.offsetOf(lastOld);
    const unit = Buffer.alloc(g.unitLength(lastOld));
    await image.read(unit.subarray(0, from - start), start);
    if ((await newest.writeNonZeroUnits(unit, lastOld)) > 0) await newest.syncData();
    runs.push([lastOld, 1]);
  }
  // Only the bits a crashed growth did not make durable: the others are held already.
  runs.push(...newest.held.clearRuns(oldUnits, g.units));
  if (runs.length > 0) await newest.commitHeld(runs);
}
