/**
 * The backup's recovery points: a copy-on-write chain beside the live image, under
 * `<image>.tandem/points/` (like LVM or ZFS snapshots). Point j reads unit u from the first
 * store among j, j+1, …, newest that holds u, else from the live image; only the newest
 * store grows (copy-on-write.ts). The crash protocol of take, copy-on-write, prune and
 * restore, why zero units need no data write, and the memory bounds are in
 * docs/replication.md ("Recovery points on the backup: the store"); each step below says
 * which durable state it leaves. Growing the points with a grown image: grow-store.ts.
 */
import { join } from 'node:path';
import type { BlockDevice } from '../../block/device.js';
import { nodeFiles, type DurableFiles } from '../../block/durable-file.js';
import { AtomicReplaceUnsyncedError, writeFileAtomic } from '../../block/atomic-file.js';
import { moduleLogger, type Logger } from '../../util/log.js';
import { StoreLifecycle } from './store-lifecycle.js';
import { CopyOnWrite } from './copy-on-write.js';
import { CowStore } from './cow-file.js';
import { exportPoint } from './export-point.js';
import { pointAllocation } from './point-allocation.js';
import { checkGranularity, DEFAULT_GRANULARITY, Geometry, unitRangesToBytes } from './geometry.js';
import { openStores } from './grow-store.js';
import { ImageReadGuard } from './image-read-guard.js';
import { ReaderExclusion } from './reader-exclusion.js';
import { checkTake, loadCatalogue, pointNotHeld, removeLeftovers, removeStoreFiles } from './catalogue-file.js';
import type { PointStoreOptions, RecoveredRestore } from './point-store-options.js';
import { CopyGates } from './copy-gates.js';
import { encodeCatalogue, withGone, type Catalogue, type CatalogueEntry, type GoneKind, type PointOrigin } from './point-catalogue.js';
import { PointError } from './point-error.js';
import { readPoint, type PointChain } from './point-reader.js';
import { moveToOlder } from './prune-move.js';
import { restoreImage } from './restore-image.js';
import { retainedPoints, type RetentionPolicy } from './retention.js';
import type { PointImages, PointInfo } from './backup-points.js';
import { RESERVE_FILE, SpaceReserve } from './space-reserve.js';

export { PointError, PointFormatError } from './point-error.js';
export type { PointOrigin } from './point-catalogue.js';

export const POINTS_DIR = 'points';
export const CATALOGUE_FILE = 'catalogue';

export type { PointInfo } from './backup-points.js';
export type { PointStoreOptions, RecoveredRestore } from './point-store-options.js';

interface Point {
  entry: CatalogueEntry;
  cow: CowStore;
}

export class PointStore implements PointImages {
  /** The copy-on-write path into the newest point's store. */
  private cow: CopyOnWrite | undefined;
  private readonly gates = new CopyGates();
  private readonly readers = new ReaderExclusion();
  private readonly guard = new ImageReadGuard();
  /** Garbage stores whose files are durably gone: the next catalogue leaves them out. */
  private readonly removed = new Set<number>();
  private readonly life = new StoreLifecycle();
  /** Set when open finished a restore a crash had interrupted. */
  recovered: RecoveredRestore | undefined;

  private constructor(
    private cat: Catalogue,
    private points: Point[],
    private readonly geometry: Geometry,
    private readonly image: BlockDevice,
    private readonly files: DurableFiles,
    private readonly dir: string,
    private readonly log: Logger,
    private readonly reserve: SpaceReserve,
  ) {}

  static async open(options: PointStoreOptions): Promise<PointStore> {
    const files = options.files ?? nodeFiles;
    const log = options.logger ?? moduleLogger('points');
    const image = options.image;
    const dir = join(options.dir, POINTS_DIR);
    const path = join(dir, CATALOGUE_FILE);
    if (options.granularity !== undefined) checkGranularity(options.granularity);
    await files.mkdir(dir);
    const loaded = await loadCatalogue(files, path, image, options.granularity ?? DEFAULT_GRANULARITY, options.granularity !== undefined, log);
    await removeLeftovers(files, dir, loaded);
    const { cat, stores } = await openStores({ files, dir, path, cat: loaded, image, log });
    const geometry = new Geometry(cat.volumeSize, cat.granularity);
    const points: Point[] = cat.points.map((entry, i) => ({ entry, cow: stores[i]! }));
    const reserve = new SpaceReserve(files, join(dir, RESERVE_FILE), log);
    const store = new PointStore(cat, points, geometry, image, files, dir, log, reserve);
    for (const s of cat.garbage) store.removed.add(s);
    try {
      if (cat.restoring !== undefined) {
        const j = points.findIndex((p) => p.entry.id === cat.restoring);
        const changed = unitRangesToBytes((await restoreImage(store.chain(j))).candidates, geometry);
        // Marked before the catalogue stops saying "restoring": a crash before the marks are durable finds the restore again.
        await options.beforeCommit?.(changed);
        await store.finishRestore(j);
        store.recovered = { restoredTo: cat.restoring, changed };
        log.info({ event: 'point-restore-finished', id: cat.restoring, ranges: changed.length }, 'a restore interrupted by a crash was finished');
      }
    } catch (e) {
      await Promise.allSettled(store.points.map((p) => p.cow.close()));
      throw e;
    }
    store.cow = store.newCopyOnWrite();
    await reserve.fill(store.catalogueBytes());
    return store;
  }

  get granularity(): number {
    return this.geometry.granularity;
  }

  /**
   * The live image is consistent now and nothing writes to it while this runs (the caller
   * holds writes): flush the image, then make it point `id`. Resolves once the point is
   * durable and listed. Ids increase: one not above every id taken so far is a PointError
   * (a RangeError).
   */
  take(point: { id: number; at: number; origin: PointOrigin; label?: string }): Promise<void> {
    return this.gates.holding(() => this.run(async () => {
      checkTake(point, this.cat);
      const { id, at, origin, label } = point;
      const entry: CatalogueEntry = { id, at, origin, ...(label !== undefined ? { label } : {}), store: this.cat.nextStore };
      await this.gates.gated(false, this.copiesIdle, async () => {
        await this.image.flush();
        const cow = await CowStore.create(this.files, this.dir, entry.store, id, this.geometry);
        try {
          await this.files.syncDir(this.dir);
          await this.writeCatalogue({ ...this.cat, lastId: id, nextStore: entry.store + 1, points: [...this.cat.points, entry] });
        } catch (e) {
          await cow.close();
          throw e;
        }
        this.points.push({ entry, cow });
        this.cow = this.newCopyOnWrite();
      });
      this.log.info({ event: 'point-taken', id, origin, label }, 'recovery point taken');
    }));
  }

  /**
   * Called before [offset, offset+length) of the live image is overwritten or discarded: preserves, durably, the old
   * contents of the units the newest point needs and does not hold yet. Undefined (no promise, no I/O) when there is no
   * point, or every unit is held and no point read of the image over them is running. Concurrent calls share their syncs
   * (see copy-on-write.ts). A rejection means the old contents are not safe: the overwrite must not proceed.
   */
  beforeOverwrite(offset: number, length: number): Promise<void> | undefined {
    if (this.life.closing) throw new PointError('the point store is closed');
    this.geometry.checkRange(offset, length);
    if (length === 0) return undefined;
    if (this.life.broken) return Promise.reject(this.life.brokenError());
    // Two numbers, no tuple, and no closure while the gates are open: this runs for every host write.
    const first = this.geometry.firstUnit(offset), last = this.geometry.lastUnit(offset, length);
    const wait = this.gates.open ? undefined : this.gates.waitFor(() => this.cow?.holdsAll(first, last) ?? false);
    if (wait && wait !== 'held') return wait.then(() => this.beforeOverwrite(offset, length));
    // A point read of the image planned before is waited for whoever copies the units (this call, another, none).
    const copied = wait === 'held' ? undefined : this.cow?.preserve(first, last);
    const reads = this.guard.settledOver(first, last);
    return copied && reads ? Promise.all([copied, reads]).then(() => undefined) : (copied ?? reads);
  }

  list(): PointInfo[] {
    return this.points.map((p) => info(p));
  }

  newest(): PointInfo | undefined {
    const p = this.points[this.points.length - 1];
    return p ? info(p) : undefined;
  }

  /** The highest id this store ever took (the catalogue's, kept across restores, prunes and restarts). */
  lastTaken(): number | undefined {
    return this.cat.lastId;
  }

  /** Bytes of memory the point's bitmap takes (at most volume / granularity / 8). */
  bitmapBytes(id: number): number {
    return this.points[this.indexOf(id)]!.cow.held.byteLength;
  }

  /** The point's image from `offset` into `buf` (a reader never sees a later write, even one racing with it). */
  async read(id: number, buf: Buffer, offset: number): Promise<void> {
    this.checkUsable();
    this.geometry.checkRange(offset, buf.length);
    await this.readers.read(() => readPoint(this.chain(this.indexOf(id)), buf, offset));
  }

  /** The extent of point `id`'s image from `offset`: unmapped where it surely reads zeroes (point-allocation.ts). */
  async allocation(id: number, offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    this.checkUsable();
    return this.readers.read(() => pointAllocation(this.chain(this.indexOf(id)), offset, maxLength));
  }

  /** Writes the point's image of the LUN to a sparse file (holes where the point reads zeroes), fsynced; read a piece at a time. */
  async exportTo(id: number, path: string): Promise<{ bytes: number; allocatedBytes: number }> {
    // Each piece under the reader lock, the store usable and the chain as they are then (a prune may run between two).
    const result = await exportPoint((fn) => this.readers.read(async () => { this.checkUsable(); return fn(this.chain(this.indexOf(id))); }), this.files, path);
    this.log.info({ event: 'point-exported', id, path, ...result }, 'recovery point exported');
    return result;
  }

  /** Whether point `id` is being removed (a prune past asking whether to spare it): an exposure now would outlive it. */
  removing(id: number): boolean {
    return this.readers.removing(id);
  }

  /** Removes a point, returning its space; what older points still need moves to the next older point first. */
  prune(id: number): Promise<void> {
    return this.run(async () => void (await this.pruneNow(id, 'pruned')));
  }

  /**
   * Gives point `id` up because the disk is full (see out-of-space.ts for which one): removed
   * as a prune removes it, and known afterwards as given up for space. The reserve is
   * released first, so the catalogue can be written even on a full disk.
   */
  dropForSpace(id: number, spared?: (id: number) => boolean): Promise<boolean> {
    return this.run(async () => {
      this.indexOf(id);
      if (spared?.(id)) return false;
      return this.reserve.releasedFor(() => this.pruneNow(id, 'out-of-space', spared), () => this.catalogueBytes());
    });
  }

  /**
   * Prunes every point `policy` does not keep, but none `isProtected` names when its prune
   * starts (asked then, not once: a point may be exposed meanwhile); returns the ids pruned, oldest first.
   */
  applyRetention(policy: RetentionPolicy, now: number, isProtected: (id: number) => boolean = () => false): Promise<number[]> {
    return this.run(async () => {
      const keep = retainedPoints(this.points.map((p) => ({ id: p.entry.id, at: p.entry.at })), policy, now);
      const pruned: number[] = [];
      for (const id of this.points.map((p) => p.entry.id)) {
        if (!keep.has(id) && (await this.pruneNow(id, 'pruned', isProtected))) pruned.push(id);
      }
      return pruned;
    });
  }

  /** Rolls the live image back to point `id` (no writer may run), dropping later points; the ranges it changed go to `beforeCommit` (the engine's marks) while the catalogue says "restoring", and are returned. */
  restore(id: number, beforeCommit?: (changed: ReadonlyArray<{ offset: number; length: number }>) => Promise<void>): Promise<Array<{ offset: number; length: number }>> {
    return this.gates.holding(() => this.run(async () => {
      const j = this.indexOf(id);
      return this.readers.exclusively(() =>
        this.gates.gated(false, this.copiesIdle, async () => {
          const started = performance.now();
          await this.writeCatalogue({ ...this.cat, restoring: id });
          try {
            const result = await restoreImage(this.chain(j));
            const changed = unitRangesToBytes(result.changed, this.geometry);
            await beforeCommit?.(changed);
            const dropped = this.points.slice(j + 1).map((p) => p.entry.id);
            await this.finishRestore(j);
            const changedBytes = changed.reduce((n, r) => n + r.length, 0);
            this.log.warn({ event: 'point-restored', id, dropped, changedBytes, durationMs: Math.round(performance.now() - started) }, `image rolled back to recovery point ${id}`);
            return changed;
          } catch (e) {
            // The catalogue says "restoring": points after `id` may read a half-restored image. Opening finishes it.
            this.life.breakWith(e as Error);
            throw e;
          }
        }),
      );
    }));
  }

  async close(): Promise<void> {
    if (this.life.closing) return;
    this.life.closing = true;
    await this.life.finish(() =>
      this.readers.exclusively(async () => {
        await this.cow?.idle();
        await Promise.allSettled(this.points.map((p) => p.cow.close()));
      }),
    );
  }

  // ---- internals ------------------------------------------------------------------

  /** False, and nothing done, when `spared` names the point once the prune may start (nothing reads it then). */
  private async pruneNow(id: number, kind: Exclude<GoneKind, 'dropped'>, spared?: (id: number) => boolean): Promise<boolean> {
    const k = this.indexOf(id);
    const newest = k === this.points.length - 1;
    const body = async () => {
      if (spared?.(id)) return false;
      this.readers.removes(id);
      const victim = this.points[k]!;
      const older = this.points[k - 1];
      const moved = older ? await moveToOlder(victim.cow, older.cow, this.geometry) : 0;
      const c = this.cat;
      await this.writeCatalogue({
        ...c,
        points: c.points.filter((p) => p.id !== id),
        garbage: [...c.garbage, victim.entry.store],
        gone: withGone(c.gone, id, kind),
      });
      this.points.splice(k, 1);
      if (newest) this.cow = this.newCopyOnWrite();
      await this.removeStores([victim.cow]);
      if (kind === 'pruned') this.log.info({ event: 'point-pruned', id, freedBytes: victim.cow.bytes, movedBytes: moved, movedTo: older?.entry.id }, 'recovery point pruned');
      else this.log.warn({ event: 'point-dropped', id, reason: 'out of space', freedBytes: victim.cow.bytes, movedBytes: moved }, `recovery point ${id} given up: the disk is full`);
      return true;
    };
    // Pruning the newest point changes where copies go: they wait, except for units it holds (they move, unchanged).
    return this.readers.exclusively(() => (newest ? this.gates.gated(true, this.copiesIdle, body) : body()));
  }

  /** After the image holds point j: j gets a fresh store, later points go (one catalogue write), old stores are removed. */
  private async finishRestore(j: number): Promise<void> {
    const old = this.points[j]!;
    const dropped = this.points.slice(j + 1);
    const store = this.cat.nextStore;
    const fresh = await CowStore.create(this.files, this.dir, store, old.entry.id, this.geometry);
    const entry = { ...old.entry, store };
    try {
      await this.files.syncDir(this.dir);
      let gone = this.cat.gone;
      for (const p of dropped) gone = withGone(gone, p.entry.id, 'dropped');
      await this.writeCatalogue({
        ...this.cat,
        restoring: undefined,
        nextStore: store + 1,
        points: [...this.cat.points.slice(0, j), entry],
        garbage: [...this.cat.garbage, old.entry.store, ...dropped.map((p) => p.entry.store)],
        gone,
      });
    } catch (e) {
      await fresh.close();
      throw e;
    }
    this.points = [...this.points.slice(0, j), { entry, cow: fresh }];
    this.cow = this.newCopyOnWrite();
    await this.removeStores([old.cow, ...dropped.map((p) => p.cow)]);
  }

  private newCopyOnWrite(): CopyOnWrite | undefined {
    const newest = this.points[this.points.length - 1];
    return newest ? new CopyOnWrite(newest.cow, this.image, this.geometry) : undefined;
  }

  private chain(j: number): PointChain {
    return {
      geometry: this.geometry,
      image: this.image,
      guard: this.guard,
      // Point j keeps its index while it is read (prune and restore wait for readers); a take may add stores.
      stores: () => this.points.slice(j).map((p) => p.cow),
      claimOf: (u) => this.cow?.claimOf(u),
    };
  }

  /**
   * The catalogue replaced atomically. A failure before the rename (a full disk) leaves the
   * old catalogue, as memory has it; one after it leaves the store broken (the file may
   * hold either version).
   */
  private async writeCatalogue(next: Catalogue): Promise<void> {
    const written = { ...next, garbage: next.garbage.filter((s) => !this.removed.has(s)) };
    try {
      await writeFileAtomic(join(this.dir, CATALOGUE_FILE), encodeCatalogue(written), this.files);
    } catch (e) {
      if (e instanceof AtomicReplaceUnsyncedError) this.life.breakWith(e);
      throw e;
    }
    this.cat = written;
    this.removed.clear();
  }

  /** Closes the stores and unlinks their files; once the directory is synced they leave the garbage list at the next catalogue write. */
  private async removeStores(stores: CowStore[]): Promise<void> {
    for (const store of await removeStoreFiles(this.files, this.dir, stores, this.log)) this.removed.add(store);
  }

  private indexOf(id: number): number {
    const i = this.points.findIndex((p) => p.entry.id === id);
    if (i >= 0) return i;
    throw pointNotHeld(id, this.cat, this.points.map((p) => p.entry.id));
  }

  /** What the space reserve must cover: the catalogue as it is now. */
  private catalogueBytes(): number {
    return encodeCatalogue(this.cat).length;
  }

  /** The store's cow idle (copies in flight done), for the gates. */
  private readonly copiesIdle = (): Promise<void> => this.cow?.idle() ?? Promise.resolve();

  private run<T>(fn: () => Promise<T>): Promise<T> {
    return this.life.run(fn);
  }

  private checkUsable(): void {
    this.life.check();
  }
}

function info(p: Point): PointInfo {
  const { id, at, origin, label } = p.entry;
  return { id, at, origin, ...(label !== undefined ? { label } : {}), bytes: p.cow.bytes };
}
