/** Helpers the point-store tests share: a temp directory, a sparse image, writes that go through copy-on-write as the engine's will. */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { BlockDevice } from '../../../src/block/device.js';
import { nodeFiles, type DurableFiles } from '../../../src/block/durable-file.js';
import { FileBlockStore } from '../../../src/block/file-store.js';
import { CATALOGUE_FILE, PointStore, type PointStoreOptions } from '../../../src/replication/points/point-store.js';
import { seededRng as prng } from '../../support/sim-scheduler.js';

export const silentLogger = pino({ level: 'silent' });

/** node:fs, but `onCatalogue` runs as each new point catalogue is about to replace the old one (throw to fail that write). */
export function catalogueHook(onCatalogue: () => void): DurableFiles {
  return {
    ...nodeFiles,
    rename: async (from, to) => {
      if (to.endsWith(join('points', CATALOGUE_FILE))) onCatalogue();
      return nodeFiles.rename(from, to);
    },
  };
}

export interface Lun {
  dir: string;
  image: FileBlockStore;
  points: PointStore;
  cleanup(): Promise<void>;
}

/** A sparse image file of `size` bytes and its point store, in a fresh temp directory. */
export async function openLun(size: number, options: Partial<PointStoreOptions> = {}): Promise<Lun> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-points-'));
  const image = await FileBlockStore.open({ path: join(dir, 'disk.img'), size });
  const points = await PointStore.open({ dir: join(dir, 'disk.img.tandem'), image, logger: silentLogger, ...options });
  const lun: Lun = {
    dir,
    image,
    points,
    async cleanup() {
      await this.points.close().catch(() => undefined);
      await image.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lun;
}

/** Closes the LUN's point store and opens it again from disk. */
export async function reopen(lun: Lun, options: Partial<PointStoreOptions> = {}): Promise<void> {
  await lun.points.close();
  lun.points = await PointStore.open({ dir: join(lun.dir, 'disk.img.tandem'), image: lun.image, logger: silentLogger, ...options });
}

/**
 * The LUN stopped, its image grown to `size` and opened again: as `tandem serve --lun
 * PATH,size=BIGGER` grows a file (the new part reads zeroes), or with `stale` as a grown
 * block device may come (its new part holding old bytes).
 */
export async function grow(lun: Lun, size: number, options: Partial<PointStoreOptions> & { stale?: boolean } = {}): Promise<void> {
  const { stale, ...storeOptions } = options;
  const path = join(lun.dir, 'disk.img');
  const old = lun.image.size;
  await lun.points.close();
  await lun.image.close();
  if (stale) appendFileSync(path, patterned(prng(size), size - old));
  lun.image = await FileBlockStore.open({ path, size });
  lun.points = await PointStore.open({ dir: join(lun.dir, 'disk.img.tandem'), image: lun.image, logger: silentLogger, ...storeOptions });
}

/** A write as the engine issues it on a backup with points: copy-on-write first. */
export async function write(points: PointStore, image: BlockDevice, data: Buffer, offset: number): Promise<void> {
  await points.beforeOverwrite(offset, data.length);
  await image.write(data, offset);
}

export async function discard(points: PointStore, image: BlockDevice, offset: number, length: number): Promise<void> {
  await points.beforeOverwrite(offset, length);
  await image.discard(offset, length);
}

export async function readAll(device: { read(b: Buffer, o: number): Promise<void> }, size: number): Promise<Buffer> {
  const b = Buffer.alloc(size);
  await device.read(b, 0);
  return b;
}

export async function readPointAll(points: PointStore, id: number, size: number): Promise<Buffer> {
  const b = Buffer.alloc(size);
  await points.read(id, b, 0);
  return b;
}

export function randomData(length: number): Buffer {
  return randomBytes(length);
}

/** A deterministic PRNG (mulberry32) for tests that must replay: the simulated worlds' own. */
export { prng };

/** Bytes from a seeded PRNG. */
export function patterned(rng: () => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) b.writeUInt32LE(Math.floor(rng() * 0x100000000) >>> 0, i);
  return b;
}
