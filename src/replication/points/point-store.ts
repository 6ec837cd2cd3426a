/**
 * The backup's recovery points: a copy-on-write chain beside the live image, under
 * `<image>.tandem/points/` (like LVM or ZFS snapshots).
 *
 * Each point k has a store (cow-file.ts): the old contents of the units first overwritten
 * after point k was taken and before point k+1 was, at their image offsets in a sparse data
 * file, and a bitmap of the units it holds. Point j reads unit u from the first store among
 * j, j+1, …, newest that holds u, else from the live image. Only the newest point's store
 * grows (copy-on-write before an overwrite, copy-on-write.ts); older stores change only when
 * a neighbour is pruned.
 *
 * Crash protocol (the catalogue is replaced atomically; see point-catalogue.ts):
 * - take: flush the image (the point reads it), create the store's files and sync them and
 *   the directory, then write the catalogue listing the point. Before that write the point
 *   is absent (its files are left-overs, removed at open); after it, complete.
 * - copy-on-write: data written, data synced, then the bit written, map synced, and only
 *   then may the overwrite proceed. A bit is never durable before its data.
 * - prune k: move what k-1 needs from k into k-1 (data, sync, bits, sync: k-1 then reads the
 *   same bytes from itself as it read from k), then write the catalogue without k (its
 *   store listed as garbage), then unlink k's files. At open, garbage files are unlinked.
 * - restore j: write the catalogue with "restoring j" first; then the point's bytes onto
 *   the image (only units that differ) and flush it; create a fresh, empty store for j;
 *   write the catalogue with j's new store, the later points gone, the old stores garbage.
 *   Opening a catalogue that says "restoring j" does the rest again (it reads only the
 *   stores, which it does not change, so it is idempotent) and reports it in `recovered`.
 *
 * Zero units: a unit whose old contents are all zeroes is held without writing data. This
 * is sound because a store's data file, at a unit it does not hold, only ever contains
 * zeroes or (per 512-byte sector) that same point's bytes of the unit — every write to it
 * is of that point's bytes (an uncommitted copy-on-write, or a prune's move from the next
 * newer store, which point k-1 read those bytes from); stores are never reused — so when
 * the point's bytes are zeroes, the place reads as zeroes whatever was left there.
 *
 * Memory: per point, its held-units bitmap (at most volume/granularity/8 bytes, pages only
 * where bits are set); point data is never loaded, only moved in pieces of at most 4 MiB.
 */
import { join } from 'node:path';
import type { BlockDevice } from '../../block/device.js';
import { nodeFiles, type DurableFiles } from '../../block/durable-file.js';
import { readFileIfExists, writeFileAtomic } from '../../block/atomic-file.js';
import { moduleLogger, type Logger } from '../../util/log.js';
import { SerialQueue } from '../../util/serial-queue.js';
import { CopyOnWrite } from './copy-on-write.js';
import { CowStore, dataFileName, mapFileName } from './cow-file.js';
import { exportPoint } from './export-point.js';
import { DEFAULT_GRANULARITY, Geometry, unitRangesToBytes, validGranularity } from './geometry.js';
import { ImageReadGuard } from './image-read-guard.js';
import {
  MAX_LABEL_BYTES,
  MAX_POINTS,
  decodeCatalogue,
  emptyCatalogue,
  encodeCatalogue,
  goneKind,
  withGone,
  type Catalogue,
  type CatalogueEntry,
  type PointOrigin,
} from './point-catalogue.js';
import { PointError, PointFormatError } from './point-error.js';
import { readPoint, type PointChain } from './point-reader.js';
import { moveToOlder } from './prune-move.js';
import { restoreImage } from './restore-image.js';
import { retainedPoints, type RetentionPolicy } from './retention.js';
import type { PointImages, PointInfo } from './backup-points.js';

export { PointError, PointFormatError } from './point-error.js';
export type { PointOrigin } from './point-catalogue.js';

export const POINTS_DIR = 'points';
export const CATALOGUE_FILE = 'catalogue';

export type { PointInfo } from './backup-points.js';

export interface PointStoreOptions {
  /** The LUN's metadata directory (<image>.tandem/); points live under dir/points/. */
  dir: string;
  /** The LUN's local store (the live image). */
  image: BlockDevice;
  /** Default: node:fs (tests pass a file system that forgets at a power loss). */
  files?: DurableFiles;
  /** Copy-on-write unit in bytes (default 4096). Points already on disk keep theirs. */
  granularity?: number;
  logger?: Logger;
}

/** A restore a crash interrupted, finished by open. */
export interface RecoveredRestore {
  restoredTo: number;
  /** Every range the restore may have changed (before and after the crash): a superset of what it did change. */
  changed: Array<{ offset: number; length: number }>;
}

interface Point {
  entry: CatalogueEntry;
  cow: CowStore;
}

const ORIGINS: readonly PointOrigin[] = ['pass', 'scheduled', 'manual'];

export class PointStore implements PointImages {
  private points: Point[];
  /** The copy-on-write path into the newest point's store. */
  private cow: CopyOnWrite | undefined;
  /** Set while a take, restore or prune of the newest point runs: copies wait for it. */
  private gate: { done: Promise<void>; allowHeld: boolean } | undefined;
  /** Takes and restores asked for and not settled: copies wait for them. */
  private held: { count: number; done: Promise<void>; release: () => void } | undefined;
  private readonly control = new SerialQueue();
  private readers = 0;
  private readerWaiters: Array<() => void> = [];
  private exclusive: Promise<void> | undefined;
  private readonly guard = new ImageReadGuard();
  /** Garbage stores whose files are durably gone: the next catalogue leaves them out. */
  private readonly removed = new Set<number>();
  private closing = false;
  /** A failure that left memory and disk possibly apart: every call fails until reopened. */
  private broken: Error | undefined;
  /** Set when open finished a restore a crash had interrupted. */
  recovered: RecoveredRestore | undefined;

  private constructor(
    private cat: Catalogue,
    points: Point[],
    private readonly geometry: Geometry,
    private readonly image: BlockDevice,
    private readonly files: DurableFiles,
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    this.points = points;
  }

  static async open(options: PointStoreOptions): Promise<PointStore> {
    const files = options.files ?? nodeFiles;
    const log = options.logger ?? moduleLogger('points');
    const image = options.image;
    const dir = join(options.dir, POINTS_DIR);
    const path = join(dir, CATALOGUE_FILE);
    if (options.granularity !== undefined && !validGranularity(options.granularity)) {
      throw new PointError(`granularity ${options.granularity}: a power of two from 512 B to 64 MiB`);
    }
    await files.mkdir(dir);
    const raw = await readFileIfExists(path, files);
    let cat = emptyCatalogue(options.granularity ?? DEFAULT_GRANULARITY, image.size);
    if (raw !== undefined) {
      try {
        cat = decodeCatalogue(raw);
      } catch (e) {
        if (e instanceof PointFormatError) throw new PointFormatError(e.reason, `${path}: ${e.message}`);
        throw e;
      }
      if (cat.volumeSize !== image.size) throw new PointFormatError('geometry', `${path}: the points are of a ${cat.volumeSize}-byte volume, the image (${image.path}) has ${image.size} bytes`);
      if (options.granularity !== undefined && options.granularity !== cat.granularity) {
        if (cat.points.length === 0) cat = { ...cat, granularity: options.granularity };
        else log.warn({ event: 'point-granularity-kept', granularity: cat.granularity, asked: options.granularity }, 'existing points keep their copy-on-write unit');
      }
    }
    const geometry = new Geometry(cat.volumeSize, cat.granularity);
    // What a crash may have left: files of dropped stores, and of a store being created.
    for (const s of [...cat.garbage, cat.nextStore]) {
      for (const name of [dataFileName(s), mapFileName(s)]) await unlinkIfExists(files, join(dir, name));
    }
    await files.syncDir(dir);
    const points: Point[] = [];
    try {
      for (const entry of cat.points) points.push({ entry, cow: await CowStore.open(files, dir, entry.store, entry.id, geometry) });
    } catch (e) {
      await Promise.allSettled(points.map((p) => p.cow.close()));
      if (e instanceof PointFormatError) throw new PointFormatError(e.reason, `${path}: ${e.message}`);
      throw e;
    }
    const store = new PointStore(cat, points, geometry, image, files, dir, log);
    for (const s of cat.garbage) store.removed.add(s);
    try {
      if (cat.restoring !== undefined) {
        const j = points.findIndex((p) => p.entry.id === cat.restoring);
        const result = await restoreImage(store.chain(j));
        await store.finishRestore(j);
        store.recovered = { restoredTo: cat.restoring, changed: unitRangesToBytes(result.candidates, geometry) };
        log.info({ event: 'point-restore-finished', id: cat.restoring, ranges: result.candidates.length }, 'a restore interrupted by a crash was finished');
      }
    } catch (e) {
      await Promise.allSettled(store.points.map((p) => p.cow.close()));
      throw e;
    }
    store.cow = store.newCopyOnWrite();
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
    return this.holdingCopies(async () => {
      const { id, at, origin, label } = point;
      if (!Number.isSafeInteger(id) || id < 0) throw new PointError(`cannot take point ${id}: an id is a non-negative integer`);
      if (!Number.isSafeInteger(at)) throw new PointError(`cannot take point ${id}: its time ${at} is not an integer number of ms`);
      if (!ORIGINS.includes(origin)) throw new PointError(`cannot take point ${id}: origin ${String(origin)} is not one of ${ORIGINS.join(', ')}`);
      if (label !== undefined && Buffer.byteLength(label, 'utf8') > MAX_LABEL_BYTES) throw new PointError(`cannot take point ${id}: its label is longer than ${MAX_LABEL_BYTES} bytes`);
      const last = this.cat.lastId;
      if (last !== undefined && id <= last) throw new PointError(`cannot take point ${id}: point ids must increase, and point ${last} was taken already`);
      if (this.points.length >= MAX_POINTS) throw new PointError(`cannot take point ${id}: the store holds ${MAX_POINTS} points, its limit`);
      const entry: CatalogueEntry = { id, at, origin, ...(label !== undefined ? { label } : {}), store: this.cat.nextStore };
      await this.gated(false, async () => {
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
    });
  }

  /**
   * Called before [offset, offset+length) of the live image is overwritten or discarded:
   * preserves, durably, the old contents of the units the newest point needs and does not
   * hold yet. Undefined (no promise, no I/O) when there is no point or every unit is held.
   * Concurrent calls share their syncs (see copy-on-write.ts). A rejection means the old
   * contents are not safe: the overwrite must not proceed.
   */
  beforeOverwrite(offset: number, length: number): Promise<void> | undefined {
    if (this.closing) throw new PointError('the point store is closed');
    const units = this.geometry.unitsOf(offset, length);
    if (!units) return undefined;
    if (this.broken) return Promise.reject(this.brokenError());
    // A take or restore was asked for: this overwrite comes after it (the caller holds writes until it resolves).
    if (this.held) return this.held.done.then(() => this.beforeOverwrite(offset, length));
    const gate = this.gate;
    if (gate) {
      if (gate.allowHeld && this.cow?.holdsAll(units[0], units[1])) return undefined;
      return gate.done.then(() => this.beforeOverwrite(offset, length));
    }
    return this.cow?.preserve(units[0], units[1]);
  }

  list(): PointInfo[] {
    return this.points.map((p) => info(p));
  }

  newest(): PointInfo | undefined {
    const p = this.points[this.points.length - 1];
    return p ? info(p) : undefined;
  }

  /** Bytes of memory the point's bitmap takes (at most volume / granularity / 8). */
  bitmapBytes(id: number): number {
    return this.points[this.indexOf(id)]!.cow.held.byteLength;
  }

  /** The point's image from `offset` into `buf` (a reader never sees a later write, even one racing with it). */
  async read(id: number, buf: Buffer, offset: number): Promise<void> {
    this.checkUsable();
    this.geometry.unitsOf(offset, buf.length);
    await this.enterReader();
    try {
      await readPoint(this.chain(this.indexOf(id)), buf, offset);
    } finally {
      this.leaveReader();
    }
  }

  /** Writes the point's image of the LUN to a sparse file (holes where the point reads zeroes), fsynced. */
  async exportTo(id: number, path: string): Promise<{ bytes: number; allocatedBytes: number }> {
    this.checkUsable();
    await this.enterReader();
    try {
      const chain = this.chain(this.indexOf(id));
      const result = await exportPoint(chain, this.files, path);
      this.log.info({ event: 'point-exported', id, path, ...result }, 'recovery point exported');
      return result;
    } finally {
      this.leaveReader();
    }
  }

  /** Removes a point, returning its space; what older points still need moves to the next older point first. */
  prune(id: number): Promise<void> {
    return this.run(() => this.pruneNow(id));
  }

  /** Prunes every point `policy` does not keep (never one of `protectedIds`); returns the ids pruned, oldest first. */
  applyRetention(policy: RetentionPolicy, now: number, protectedIds: ReadonlySet<number> = new Set()): Promise<number[]> {
    return this.run(async () => {
      const keep = retainedPoints(
        this.points.map((p) => ({ id: p.entry.id, at: p.entry.at })),
        policy,
        now,
        protectedIds,
      );
      const pruned: number[] = [];
      for (const id of this.points.map((p) => p.entry.id)) {
        if (keep.has(id)) continue;
        await this.pruneNow(id);
        pruned.push(id);
      }
      return pruned;
    });
  }

  /**
   * Rolls the live image back to point `id` (the caller guarantees no writer); later points
   * are dropped; returns the byte ranges it changed.
   */
  restore(id: number): Promise<Array<{ offset: number; length: number }>> {
    return this.holdingCopies(async () => {
      const j = this.indexOf(id);
      return this.exclusively(() =>
        this.gated(false, async () => {
          const started = performance.now();
          await this.writeCatalogue({ ...this.cat, restoring: id });
          try {
            const result = await restoreImage(this.chain(j));
            const dropped = this.points.slice(j + 1).map((p) => p.entry.id);
            await this.finishRestore(j);
            const changed = unitRangesToBytes(result.changed, this.geometry);
            this.log.info(
              { event: 'point-restored', id, dropped, changedBytes: changed.reduce((n, r) => n + r.length, 0), durationMs: Math.round(performance.now() - started) },
              'live image restored to a recovery point',
            );
            return changed;
          } catch (e) {
            // The catalogue says "restoring": points after `id` may read a half-restored image. Opening finishes it.
            this.broken ??= e as Error;
            throw e;
          }
        }),
      );
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.control.run(() =>
      this.exclusively(async () => {
        await this.cow?.idle();
        await Promise.allSettled(this.points.map((p) => p.cow.close()));
      }),
    );
  }

  // ---- internals ------------------------------------------------------------------

  private async pruneNow(id: number): Promise<void> {
    const k = this.indexOf(id);
    const newest = k === this.points.length - 1;
    const body = async () => {
      const victim = this.points[k]!;
      const older = this.points[k - 1];
      const moved = older ? await moveToOlder(victim.cow, older.cow, this.geometry) : 0;
      const c = this.cat;
      await this.writeCatalogue({
        ...c,
        points: c.points.filter((p) => p.id !== id),
        garbage: [...c.garbage, victim.entry.store],
        gone: withGone(c.gone, id, 'pruned'),
      });
      this.points.splice(k, 1);
      if (newest) this.cow = this.newCopyOnWrite();
      await this.removeStores([victim.cow]);
      this.log.info({ event: 'point-pruned', id, freedBytes: victim.cow.bytes, movedBytes: moved, movedTo: older?.entry.id }, 'recovery point pruned');
    };
    // Pruning the newest point changes where copies go: they wait, except for units it holds (they move, unchanged).
    await this.exclusively(() => (newest ? this.gated(true, body) : body()));
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
    return newest ? new CopyOnWrite(newest.cow, this.image, this.geometry, this.guard) : undefined;
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

  /** The catalogue replaced atomically; any failure leaves the store broken (the file may hold either version). */
  private async writeCatalogue(next: Catalogue): Promise<void> {
    const written = { ...next, garbage: next.garbage.filter((s) => !this.removed.has(s)) };
    try {
      await writeFileAtomic(join(this.dir, CATALOGUE_FILE), encodeCatalogue(written), this.files);
    } catch (e) {
      this.broken ??= e as Error;
      throw e;
    }
    this.cat = written;
    this.removed.clear();
  }

  /** Closes the stores and unlinks their files; once the directory is synced they leave the garbage list at the next catalogue write. */
  private async removeStores(stores: CowStore[]): Promise<void> {
    try {
      for (const s of stores) {
        await s.close();
        for (const name of [dataFileName(s.store), mapFileName(s.store)]) await unlinkIfExists(this.files, join(this.dir, name));
      }
      await this.files.syncDir(this.dir);
      for (const s of stores) this.removed.add(s.store);
    } catch (e) {
      // Still garbage in the catalogue: the next open removes them.
      this.log.warn({ event: 'point-files-left', stores: stores.map((s) => s.store), err: (e as Error).message }, 'could not remove the files of a dropped store');
    }
  }

  private indexOf(id: number): number {
    const i = this.points.findIndex((p) => p.entry.id === id);
    if (i >= 0) return i;
    if (!Number.isSafeInteger(id) || id < 0) throw new PointError(`${id} is not a point id (a non-negative integer)`);
    const kind = goneKind(this.cat, id);
    if (kind === 'pruned') throw new PointError(`point ${id} was pruned`);
    if (kind === 'dropped') throw new PointError(`point ${id} was dropped by a restore to an older point`);
    const ids = this.points.map((p) => p.entry.id);
    const held = ids.length === 0 ? 'no points' : ids.length === 1 ? `only point ${ids[0]}` : `${ids.length} points, ${ids[0]} to ${ids[ids.length - 1]}`;
    throw new PointError(`no point ${id}: the store holds ${held}`);
  }

  /**
   * Runs `fn` (a take or a restore) as a control task; from this call until it settles,
   * copy-on-write calls wait for it: the caller holds writes meanwhile, so any overwrite
   * they guard comes after it, and belongs to the point it makes newest.
   */
  private holdingCopies<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.held) {
      let release!: () => void;
      const done = new Promise<void>((r) => (release = r));
      this.held = { count: 0, done, release };
    }
    const held = this.held;
    held.count++;
    const running = this.run(fn);
    const settled = () => {
      if (--held.count > 0) return;
      if (this.held === held) this.held = undefined;
      held.release();
    };
    running.then(settled, settled);
    return running;
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      this.checkUsable();
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return this.control.run(async () => {
      if (this.broken) throw this.brokenError();
      return fn();
    });
  }

  private checkUsable(): void {
    if (this.closing) throw new PointError('the point store is closed');
    if (this.broken) throw this.brokenError();
  }

  private brokenError(): Error {
    return new Error(`the point store failed (${this.broken?.message ?? 'unknown'}); reopen it to recover`);
  }

  /** Runs `fn` while copy-on-write waits (copies in flight finish first); `allowHeld`: calls for units the newest store holds go on. */
  private async gated<T>(allowHeld: boolean, fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    this.gate = { done: new Promise<void>((r) => (release = r)), allowHeld };
    try {
      await this.cow?.idle();
      return await fn();
    } finally {
      this.gate = undefined;
      release();
    }
  }

  /** Runs `fn` with no reader of a point (readers wait). Only control tasks call it, one at a time. */
  private async exclusively<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    this.exclusive = new Promise<void>((r) => (release = r));
    try {
      while (this.readers > 0) await new Promise<void>((r) => this.readerWaiters.push(r));
      return await fn();
    } finally {
      this.exclusive = undefined;
      release();
    }
  }

  private async enterReader(): Promise<void> {
    while (this.exclusive) await this.exclusive;
    this.readers++;
  }

  private leaveReader(): void {
    if (--this.readers > 0) return;
    const waiters = this.readerWaiters;
    this.readerWaiters = [];
    for (const w of waiters) w();
  }
}

function info(p: Point): PointInfo {
  const { id, at, origin, label } = p.entry;
  return { id, at, origin, ...(label !== undefined ? { label } : {}), bytes: p.cow.bytes };
}

async function unlinkIfExists(files: DurableFiles, path: string): Promise<void> {
  try {
    await files.unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
