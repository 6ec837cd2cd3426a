/**
 * One copy-on-write store: the old contents a recovery point needs, in two files under
 * `points/`:
 * - `s<store>.cow`, sparse and as long as the image, holding each preserved unit at the
 *   same offset as in the image (a unit the store does not hold is a hole, or left-over
 *   bytes nobody reads);
 * - `s<store>.map`, a 4 KiB header then one bit per unit: the units the store holds.
 *
 * Map header (big-endian): 0 magic "TPM1" | 4 version u16 (1) | 6 reserved u16 | 8
 * granularity u32 | 12 reserved u32 | 16 volume size u64 | 24 store u64 | 32 point id u64 |
 * 40 point volume size u64 (the volume's size when the point was taken, below the volume
 * size once the volume grew; 0 when it has not, so a map never grown reads as before) |
 * 48..59 reserved (0) | 60 CRC32C of bytes 0-59. The bits start at MAP_BITS_AT, so a bitmap
 * sector never shares a disk sector with the header.
 *
 * What the store promises its caller: `commitHeld` writes a unit's bit only after its data
 * was made durable by `syncData` (the caller's order), and bits are only ever set, so a torn
 * map write leaves a set of bits between the old and the new one. Callers serialise
 * `commitHeld` (one map write in flight), so writes of one sector never race.
 */
import { join } from 'node:path';
import type { DurableFile, DurableFiles } from '../../block/durable-file.js';
import { crc32c } from '../../util/crc32c.js';
import { allZero, readFully, writeFully } from './block-io.js';
import type { Geometry } from './geometry.js';
import { PointFormatError } from './point-error.js';
import { BITMAP_PAGE_BYTES, SparseBitmap } from './sparse-bitmap.js';

export const MAP_MAGIC = 0x54504d31; // "TPM1"
export const MAP_VERSION = 1;
export const MAP_HEADER_BYTES = 64;
export const MAP_BITS_AT = 4096;
const MAP_CRC_AT = 60;

export interface MapHeader {
  granularity: number;
  volumeSize: number;
  store: number;
  pointId: number;
  /** The volume's size when the point was taken, when the volume has grown since (smaller than volumeSize). */
  pointVolumeSize?: number;
}

export function dataFileName(store: number): string {
  return `s${store}.cow`;
}

export function mapFileName(store: number): string {
  return `s${store}.map`;
}

export function encodeMapHeader(h: MapHeader): Buffer {
  for (const [k, v] of Object.entries(h)) if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`map header ${k} ${v}`);
  if (h.granularity > 0xffffffff) throw new RangeError(`map header granularity ${h.granularity}`);
  if (h.pointVolumeSize !== undefined && (h.pointVolumeSize === 0 || h.pointVolumeSize >= h.volumeSize)) throw new RangeError(`map header point volume size ${h.pointVolumeSize}`);
  const b = Buffer.alloc(MAP_HEADER_BYTES);
  b.writeUInt32BE(MAP_MAGIC, 0);
  b.writeUInt16BE(MAP_VERSION, 4);
  b.writeUInt32BE(h.granularity, 8);
  b.writeBigUInt64BE(BigInt(h.volumeSize), 16);
  b.writeBigUInt64BE(BigInt(h.store), 24);
  b.writeBigUInt64BE(BigInt(h.pointId), 32);
  b.writeBigUInt64BE(BigInt(h.pointVolumeSize ?? 0), 40);
  b.writeUInt32BE(crc32c(b.subarray(0, MAP_CRC_AT)) >>> 0, MAP_CRC_AT);
  return b;
}

/** Parses a map header; anything else is a PointFormatError saying what is wrong. */
export function decodeMapHeader(b: Buffer): MapHeader {
  const fail = (reason: ConstructorParameters<typeof PointFormatError>[0], message: string): never => {
    throw new PointFormatError(reason, `point map header: ${message}`);
  };
  if (b.length < MAP_HEADER_BYTES) fail('short', `${b.length} bytes, shorter than a map header`);
  if (b.readUInt32BE(0) !== MAP_MAGIC) fail('magic', 'not a point map (bad magic)');
  if ((crc32c(b.subarray(0, MAP_CRC_AT)) >>> 0) !== b.readUInt32BE(MAP_CRC_AT)) fail('crc', 'checksum mismatch');
  const version = b.readUInt16BE(4);
  if (version !== MAP_VERSION) fail('version', `map version ${version}, this build reads ${MAP_VERSION}`);
  if (b.readUInt16BE(6) !== 0 || b.readUInt32BE(12) !== 0 || !b.subarray(48, MAP_CRC_AT).every((x) => x === 0)) fail('field', 'reserved bytes set');
  const big = (at: number, what: string): number => {
    const v = b.readBigUInt64BE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('field', `${what} ${v} is out of range`);
    return Number(v);
  };
  const h: MapHeader = { granularity: b.readUInt32BE(8), volumeSize: big(16, 'volume size'), store: big(24, 'store'), pointId: big(32, 'point id') };
  const pointVolumeSize = big(40, 'point volume size');
  if (pointVolumeSize === 0) return h;
  if (pointVolumeSize >= h.volumeSize) fail('field', `point volume size ${pointVolumeSize}, not below the volume size ${h.volumeSize}`);
  return { ...h, pointVolumeSize };
}

export class CowStore {
  private closed = false;

  private constructor(
    readonly store: number,
    readonly pointId: number,
    /**
     * The volume's size when the point was taken. Past it the point reads zeroes: units there
     * that the store holds were marked held when the volume grew (grow-store.ts), with no data.
     */
    readonly pointVolumeSize: number,
    private readonly geometry: Geometry,
    private readonly data: DurableFile,
    private readonly map: DurableFile,
    /** The units this store holds durably. */
    readonly held: SparseBitmap,
  ) {}

  /**
   * New, empty store files for point `pointId` (replacing any left-over ones of that
   * number), both synced. Their names are durable once the caller syncs `dir`.
   */
  static async create(files: DurableFiles, dir: string, store: number, pointId: number, geometry: Geometry): Promise<CowStore> {
    const data = await files.open(join(dir, dataFileName(store)), 'w+', 0o600);
    let map: DurableFile | undefined;
    try {
      map = await files.open(join(dir, mapFileName(store)), 'w+', 0o600);
      const cow = new CowStore(store, pointId, geometry.volumeSize, geometry, data, map, new SparseBitmap(geometry.units));
      await cow.fitToVolume();
      return cow;
    } catch (e) {
      await Promise.allSettled([data.close(), map?.close()]);
      throw e;
    }
  }

  /**
   * The store's files as they are on disk; a missing file or a header that does not match is
   * a PointFormatError. While the volume grows to `geometry`'s size from `smallestVolumeSize`,
   * a header may say any size between (fitToVolume then makes it `geometry`'s).
   */
  static async open(files: DurableFiles, dir: string, store: number, pointId: number, geometry: Geometry, smallestVolumeSize = geometry.volumeSize): Promise<CowStore> {
    const mapPath = join(dir, mapFileName(store));
    const map = await openExisting(files, mapPath, pointId);
    let data: DurableFile | undefined;
    try {
      const bits = Math.ceil(geometry.units / 8);
      const raw = Buffer.alloc(MAP_BITS_AT + bits);
      const { bytesRead } = await map.read(raw, 0, raw.length, 0);
      const header = decodeMapHeader(raw.subarray(0, Math.min(bytesRead, MAP_HEADER_BYTES)));
      const volumeFits = header.volumeSize >= smallestVolumeSize && header.volumeSize <= geometry.volumeSize;
      if (header.store !== store || header.pointId !== pointId || header.granularity !== geometry.granularity || !volumeFits) {
        throw new PointFormatError(
          'geometry',
          `${mapPath}: the map is of store ${header.store}, point ${header.pointId}, ${header.granularity}-byte units of a ${header.volumeSize}-byte volume; the catalogue expects store ${store}, point ${pointId}, ${geometry.granularity} of ${geometry.volumeSize}`,
        );
      }
      // A short file reads as zeroes past its end (its size may not have been durable; the bits then were not set yet).
      if (bytesRead < raw.length) raw.fill(0, Math.max(bytesRead, MAP_BITS_AT));
      const held = SparseBitmap.fromBytes(geometry.units, raw.subarray(MAP_BITS_AT));
      data = await openExisting(files, join(dir, dataFileName(store)), pointId);
      return new CowStore(store, pointId, header.pointVolumeSize ?? header.volumeSize, geometry, data, map, held);
    } catch (e) {
      await Promise.allSettled([map.close(), data?.close()]);
      throw e;
    }
  }

  /** Bytes of the point's volume this store holds (units marked held past it hold nothing). */
  get bytes(): number {
    const g = this.geometry.granularity;
    let bytes = this.held.count * g;
    for (const [first, count] of this.held.runs(Math.floor(this.pointVolumeSize / g))) bytes -= count * g - this.dataBytes(first, count);
    return bytes;
  }

  /** Bytes of units [first, first + count) inside the point's volume: all they can hold of the point's data. */
  dataBytes(first: number, count: number): number {
    const g = this.geometry.granularity;
    return Math.max(0, Math.min(this.pointVolumeSize, (first + count) * g) - first * g);
  }

  /**
   * Sizes the files to the store's volume and writes the header saying so, synced: for a new
   * store, and for one opened on a grown volume (harmless to repeat after a crash: the data
   * file only gets longer, reading zeroes, and the map only gets clear bits).
   */
  async fitToVolume(): Promise<void> {
    const g = this.geometry;
    const grown = this.pointVolumeSize < g.volumeSize ? { pointVolumeSize: this.pointVolumeSize } : {};
    const header = encodeMapHeader({ granularity: g.granularity, volumeSize: g.volumeSize, store: this.store, pointId: this.pointId, ...grown });
    await this.map.write(header, 0, header.length, 0);
    await this.map.truncate(MAP_BITS_AT + Math.ceil(g.units / 8));
    // As long as the image (a hole: it costs nothing), so every read of it is inside the file.
    await this.data.truncate(g.volumeSize);
    await Promise.all([this.map.datasync(), this.data.datasync()]);
  }

  /** Fills `buf` from the data file at `offset`; past the end of the file, or of the point's volume (where a growth marked units held), zeroes without I/O. */
  async readData(buf: Buffer, offset: number): Promise<void> {
    const inside = Math.max(0, Math.min(buf.length, this.pointVolumeSize - offset));
    buf.fill(0, inside);
    if (inside > 0) await readFully(this.data, buf.subarray(0, inside), offset);
  }

  writeData(buf: Buffer, offset: number): Promise<void> {
    return writeFully(this.data, buf, offset);
  }

  /**
   * Writes the units of `buf` (units from `firstUnit` on, as in the image) that are not all
   * zeroes, each run in one write; returns the bytes written. A unit of zeroes needs no
   * write: its place in the data file reads as zeroes, or holds bytes of an earlier,
   * uncommitted copy of the same unit for the same point — zeroes too (see point-store.ts,
   * "Zero units").
   */
  async writeNonZeroUnits(buf: Buffer, firstUnit: number): Promise<number> {
    const g = this.geometry;
    const base = g.offsetOf(firstUnit);
    const writes: Promise<void>[] = [];
    let bytes = 0;
    let runStart = -1;
    const flush = (end: number) => {
      if (runStart < 0) return;
      writes.push(this.writeData(buf.subarray(runStart, end), base + runStart));
      bytes += end - runStart;
      runStart = -1;
    };
    for (let at = 0; at < buf.length; at += g.granularity) {
      const end = Math.min(buf.length, at + g.granularity);
      if (allZero(buf.subarray(at, end))) flush(at);
      else if (runStart < 0) runStart = at;
    }
    flush(buf.length);
    await Promise.all(writes);
    return bytes;
  }

  /** Makes every completed data write durable. */
  syncData(): Promise<void> {
    return this.data.datasync();
  }

  /**
   * Makes the units of `runs` held, durably: writes the map sectors covering them (the bits
   * held already, plus these), syncs the map, then records them in memory. The data of
   * these units must be durable already. Callers serialise calls.
   */
  async commitHeld(runs: ReadonlyArray<readonly [number, number]>): Promise<void> {
    const adding = new Map<number, Uint8Array>();
    const pageBits = BITMAP_PAGE_BYTES * 8;
    for (const [first, count] of runs) {
      for (let u = first; u < first + count; u++) {
        const p = Math.floor(u / pageBits);
        let page = adding.get(p);
        if (!page) {
          page = new Uint8Array(this.held.pageBytes(p));
          const now = this.held.page(p);
          if (now) page.set(now);
          adding.set(p, page);
        }
        const bit = u % pageBits;
        page[bit >> 3]! |= 1 << (bit & 7);
      }
    }
    const order = [...adding.keys()].sort((a, b) => a - b);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < order.length; ) {
      let j = i + 1;
      while (j < order.length && order[j] === order[j - 1]! + 1) j++;
      const pages = order.slice(i, j).map((p) => adding.get(p)!);
      writes.push(this.map.writev(pages, MAP_BITS_AT + order[i]! * BITMAP_PAGE_BYTES));
      i = j;
    }
    await Promise.all(writes);
    await this.map.datasync();
    for (const [first, count] of runs) this.held.setRun(first, count);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([this.data.close(), this.map.close()]);
  }
}

async function openExisting(files: DurableFiles, path: string, pointId: number): Promise<DurableFile> {
  try {
    return await files.open(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PointFormatError('field', `${path}: missing, though the catalogue lists point ${pointId} with it`);
    throw e;
  }
}
