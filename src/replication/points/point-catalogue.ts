/**
 * The catalogue of a LUN's recovery points, `points/catalogue`: which points exist (id,
 * the primary's timestamp, origin, label) and which copy-on-write store each reads from;
 * the highest id ever taken; the next store number; a restore in progress; stores that
 * are no longer listed but whose files may still exist (to be unlinked at open); and the
 * ids that were taken and are gone (pruned, dropped by a restore, or given up when the disk
 * was full), so an error can say which. Replaced atomically (temp file, fsync, rename, directory fsync) at every change:
 * a crash leaves the old catalogue or the new one.
 *
 * Layout (big-endian), CRC32C over every byte before it at the end:
 *    0 magic "TPC1" | 4 version u16 (1) | 6 flags u16 (bit 0: lastId set, bit 1: restoring)
 *    8 length u32 (the whole record) | 12 granularity u32 | 16 volume size u64
 *   24 lastId u64 | 32 nextStore u64 | 40 restoring (a point id) u64
 *   48 points u32 | 52 garbage u32 | 56 gone u32 | 60 reserved u32 (0)
 *   points, each: id u64 | at i64 (ms) | store u64 | origin u8 (1 pass, 2 scheduled,
 *     3 manual) | flags u8 (bit 0: has a label) | label bytes u16 | the label (UTF-8)
 *   garbage, each: store u64
 *   gone, each: from u64 | to u64 | kind u8 (1 pruned, 2 dropped, 3 out of space) | 7 reserved (0)
 *   CRC32C u32
 */
import { crc32c } from '../../util/crc32c.js';
import { validGranularity } from './geometry.js';
import { PointFormatError, type PointFormatReason } from './point-error.js';

export type PointOrigin = 'pass' | 'scheduled' | 'manual';
export type GoneKind = 'pruned' | 'dropped' | 'out-of-space';

export interface CatalogueEntry {
  id: number;
  /** The primary's timestamp of the point, ms since the epoch. */
  at: number;
  origin: PointOrigin;
  label?: string;
  /** The copy-on-write store (files `s<store>.cow` / `s<store>.map`) the point reads from. */
  store: number;
}

/** Ids from..to (those of them that were taken) are gone. */
export interface GoneRange {
  from: number;
  to: number;
  kind: GoneKind;
}

export interface Catalogue {
  granularity: number;
  volumeSize: number;
  /** The highest id ever taken: a new point's id must exceed it. */
  lastId: number | undefined;
  /** The number the next new store gets (stores are numbered from 1). */
  nextStore: number;
  /** A restore to this point was started: opening finishes it. */
  restoring: number | undefined;
  /** Oldest first. */
  points: CatalogueEntry[];
  /** Stores no point uses any more whose files may remain. */
  garbage: number[];
  /** Ascending, disjoint. */
  gone: GoneRange[];
}

export const CATALOGUE_MAGIC = 0x54504331; // "TPC1"
export const CATALOGUE_VERSION = 1;
export const CATALOGUE_HEADER_BYTES = 64;
const ENTRY_BYTES = 28;
const GARBAGE_BYTES = 8;
const GONE_BYTES = 24;
const CRC_BYTES = 4;
export const MAX_LABEL_BYTES = 1024;
export const MAX_POINTS = 65_535;
export const MAX_GARBAGE = 65_535;
/** Older gone ranges are forgotten (their ids then read as unknown). */
export const MAX_GONE = 256;
const FLAG_LAST = 1;
const FLAG_RESTORING = 2;
const ORIGINS: readonly PointOrigin[] = ['pass', 'scheduled', 'manual'];
const GONE_KINDS: readonly GoneKind[] = ['pruned', 'dropped', 'out-of-space'];
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function emptyCatalogue(granularity: number, volumeSize: number): Catalogue {
  return { granularity, volumeSize, lastId: undefined, nextStore: 1, restoring: undefined, points: [], garbage: [], gone: [] };
}

export function encodeCatalogue(c: Catalogue): Buffer {
  const problem = checkCatalogue(c);
  if (problem) throw new RangeError(`catalogue: ${problem[1]}`);
  const labels = c.points.map((p) => (p.label === undefined ? undefined : Buffer.from(p.label, 'utf8')));
  const size =
    CATALOGUE_HEADER_BYTES + labels.reduce((n, l) => n + ENTRY_BYTES + (l?.length ?? 0), 0) + c.garbage.length * GARBAGE_BYTES + c.gone.length * GONE_BYTES + CRC_BYTES;
  const b = Buffer.alloc(size);
  b.writeUInt32BE(CATALOGUE_MAGIC, 0);
  b.writeUInt16BE(CATALOGUE_VERSION, 4);
  b.writeUInt16BE((c.lastId !== undefined ? FLAG_LAST : 0) | (c.restoring !== undefined ? FLAG_RESTORING : 0), 6);
  b.writeUInt32BE(size, 8);
  b.writeUInt32BE(c.granularity, 12);
  b.writeBigUInt64BE(BigInt(c.volumeSize), 16);
  b.writeBigUInt64BE(BigInt(c.lastId ?? 0), 24);
  b.writeBigUInt64BE(BigInt(c.nextStore), 32);
  b.writeBigUInt64BE(BigInt(c.restoring ?? 0), 40);
  b.writeUInt32BE(c.points.length, 48);
  b.writeUInt32BE(c.garbage.length, 52);
  b.writeUInt32BE(c.gone.length, 56);
  let at = CATALOGUE_HEADER_BYTES;
  c.points.forEach((p, i) => {
    const label = labels[i];
    b.writeBigUInt64BE(BigInt(p.id), at);
    b.writeBigInt64BE(BigInt(p.at), at + 8);
    b.writeBigUInt64BE(BigInt(p.store), at + 16);
    b[at + 24] = ORIGINS.indexOf(p.origin) + 1;
    b[at + 25] = label ? 1 : 0;
    b.writeUInt16BE(label?.length ?? 0, at + 26);
    at += ENTRY_BYTES;
    if (label) at += label.copy(b, at);
  });
  for (const s of c.garbage) {
    b.writeBigUInt64BE(BigInt(s), at);
    at += GARBAGE_BYTES;
  }
  for (const g of c.gone) {
    b.writeBigUInt64BE(BigInt(g.from), at);
    b.writeBigUInt64BE(BigInt(g.to), at + 8);
    b[at + 16] = GONE_KINDS.indexOf(g.kind) + 1;
    at += GONE_BYTES;
  }
  b.writeUInt32BE(crc32c(b.subarray(0, at)) >>> 0, at);
  return b;
}

/** Parses a catalogue; anything but a whole, valid one is a PointFormatError saying what is wrong. */
export function decodeCatalogue(b: Buffer): Catalogue {
  if (b.length < CATALOGUE_HEADER_BYTES + CRC_BYTES) fail('short', `${b.length} bytes, shorter than a catalogue header`);
  if (b.readUInt32BE(0) !== CATALOGUE_MAGIC) fail('magic', 'not a point catalogue (bad magic)');
  const version = b.readUInt16BE(4);
  if (version !== CATALOGUE_VERSION) fail('version', `catalogue version ${version}, this build reads ${CATALOGUE_VERSION}`);
  const length = b.readUInt32BE(8);
  if (length !== b.length) fail('length', `the record says ${length} bytes, the file has ${b.length}`);
  const crc = b.readUInt32BE(b.length - CRC_BYTES);
  if ((crc32c(b.subarray(0, b.length - CRC_BYTES)) >>> 0) !== crc) fail('crc', 'checksum mismatch');
  const flags = b.readUInt16BE(6);
  if ((flags & ~(FLAG_LAST | FLAG_RESTORING)) !== 0 || b.readUInt32BE(60) !== 0) fail('field', `unknown flags ${flags.toString(16)} or reserved bits set`);
  const counts = { points: b.readUInt32BE(48), garbage: b.readUInt32BE(52), gone: b.readUInt32BE(56) };
  const c: Catalogue = {
    granularity: b.readUInt32BE(12),
    volumeSize: u64(b, 16, 'volume size'),
    lastId: flags & FLAG_LAST ? u64(b, 24, 'last id') : zero(b, 24, 'last id'),
    nextStore: u64(b, 32, 'next store'),
    restoring: flags & FLAG_RESTORING ? u64(b, 40, 'restoring') : zero(b, 40, 'restoring'),
    points: [],
    garbage: [],
    gone: [],
  };
  const end = b.length - CRC_BYTES;
  let at = CATALOGUE_HEADER_BYTES;
  const need = (n: number, what: string) => {
    if (at + n > end) fail('length', `${what} runs past the end of the record`);
  };
  if (counts.points > MAX_POINTS || counts.garbage > MAX_GARBAGE || counts.gone > MAX_GONE) fail('field', `counts ${counts.points}/${counts.garbage}/${counts.gone} exceed the limits`);
  for (let i = 0; i < counts.points; i++) {
    need(ENTRY_BYTES, `point ${i}`);
    const originCode = b[at + 24]!;
    const hasLabel = b[at + 25]!;
    const labelBytes = b.readUInt16BE(at + 26);
    const entry: CatalogueEntry = { id: u64(b, at, `point ${i} id`), at: i64(b, at + 8, `point ${i} time`), origin: 'pass', store: u64(b, at + 16, `point ${i} store`) };
    const origin = ORIGINS[originCode - 1];
    if (!origin) fail('field', `point ${i}: unknown origin ${originCode}`);
    entry.origin = origin;
    if (hasLabel > 1 || (hasLabel === 0 && labelBytes !== 0)) fail('label', `point ${i}: label flag ${hasLabel} with ${labelBytes} bytes`);
    if (labelBytes > MAX_LABEL_BYTES) fail('label', `point ${i}: label of ${labelBytes} bytes (at most ${MAX_LABEL_BYTES})`);
    at += ENTRY_BYTES;
    need(labelBytes, `point ${i}'s label`);
    if (hasLabel) {
      try {
        entry.label = utf8.decode(b.subarray(at, at + labelBytes));
      } catch {
        fail('label', `point ${i}: label is not UTF-8`);
      }
    }
    at += labelBytes;
    c.points.push(entry);
  }
  for (let i = 0; i < counts.garbage; i++) {
    need(GARBAGE_BYTES, `garbage store ${i}`);
    c.garbage.push(u64(b, at, `garbage store ${i}`));
    at += GARBAGE_BYTES;
  }
  for (let i = 0; i < counts.gone; i++) {
    need(GONE_BYTES, `gone range ${i}`);
    const kind = GONE_KINDS[b[at + 16]! - 1];
    if (!kind || !b.subarray(at + 17, at + GONE_BYTES).every((x) => x === 0)) fail('field', `gone range ${i}: kind ${b[at + 16]} or reserved bytes set`);
    c.gone.push({ from: u64(b, at, `gone range ${i}`), to: u64(b, at + 8, `gone range ${i}`), kind });
    at += GONE_BYTES;
  }
  if (at !== end) fail('length', `${end - at} bytes after the last entry`);
  const problem = checkCatalogue(c);
  if (problem) fail(problem[0], problem[1]);
  return c;
}

/** The first inconsistency of a catalogue, as [reason, message]; undefined when it is sound. */
export function checkCatalogue(c: Catalogue): [PointFormatReason, string] | undefined {
  if (!validGranularity(c.granularity)) return ['geometry', `granularity ${c.granularity} is not a power of two from 512 B to 64 MiB`];
  if (!Number.isSafeInteger(c.volumeSize) || c.volumeSize <= 0) return ['geometry', `volume size ${c.volumeSize}`];
  if (!Number.isSafeInteger(c.nextStore) || c.nextStore < 1) return ['field', `next store ${c.nextStore}`];
  if (c.lastId !== undefined && !safeId(c.lastId)) return ['field', `last id ${c.lastId}`];
  if (c.points.length > MAX_POINTS || c.garbage.length > MAX_GARBAGE || c.gone.length > MAX_GONE) return ['field', 'too many entries'];
  const stores = new Set<number>();
  let previous = -1;
  for (const p of c.points) {
    if (!safeId(p.id) || !Number.isSafeInteger(p.at)) return ['field', `point ${p.id}: id or time out of range`];
    if (p.id <= previous) return ['order', `point ${p.id} follows point ${previous}: ids must increase`];
    if (c.lastId === undefined || p.id > c.lastId) return ['order', `point ${p.id} is newer than the last id taken (${c.lastId ?? 'none'})`];
    if (!ORIGINS.includes(p.origin)) return ['field', `point ${p.id}: origin ${String(p.origin)}`];
    if (p.label !== undefined && Buffer.byteLength(p.label, 'utf8') > MAX_LABEL_BYTES) return ['label', `point ${p.id}: label longer than ${MAX_LABEL_BYTES} bytes`];
    if (!Number.isSafeInteger(p.store) || p.store < 1 || p.store >= c.nextStore || stores.has(p.store)) return ['field', `point ${p.id}: store ${p.store} unknown or shared`];
    stores.add(p.store);
    previous = p.id;
  }
  for (const s of c.garbage) {
    if (!Number.isSafeInteger(s) || s < 1 || s >= c.nextStore || stores.has(s)) return ['field', `garbage store ${s} unknown or still in use`];
    stores.add(s);
  }
  if (c.restoring !== undefined && !c.points.some((p) => p.id === c.restoring)) return ['field', `restoring point ${c.restoring}, which is not listed`];
  let after = -1;
  for (const g of c.gone) {
    if (!safeId(g.from) || !safeId(g.to) || g.from > g.to || g.from <= after) return ['order', `gone range ${g.from}-${g.to} out of order`];
    if (c.lastId === undefined || g.to > c.lastId) return ['order', `gone range ${g.from}-${g.to} beyond the last id taken`];
    if (!GONE_KINDS.includes(g.kind)) return ['field', `gone range kind ${String(g.kind)}`];
    if (c.points.some((p) => p.id >= g.from && p.id <= g.to)) return ['order', `gone range ${g.from}-${g.to} covers a listed point`];
    after = g.to;
  }
  return undefined;
}

/** `gone` with `id` added (merged with a range of the same kind it extends; the oldest forgotten past MAX_GONE). */
export function withGone(gone: readonly GoneRange[], id: number, kind: GoneKind): GoneRange[] {
  if (gone.some((g) => id >= g.from && id <= g.to)) return [...gone];
  const out = gone.map((g) => ({ ...g }));
  const i = out.findIndex((g) => g.from > id);
  const at = i < 0 ? out.length : i;
  const before = out[at - 1];
  const after = out[at];
  if (before && before.kind === kind && before.to + 1 === id) {
    before.to = id;
    if (after && after.kind === kind && after.from === id + 1) {
      before.to = after.to;
      out.splice(at, 1);
    }
  } else if (after && after.kind === kind && after.from === id + 1) {
    after.from = id;
  } else {
    out.splice(at, 0, { from: id, to: id, kind });
  }
  return out.length > MAX_GONE ? out.slice(out.length - MAX_GONE) : out;
}

export function goneKind(c: Catalogue, id: number): GoneKind | undefined {
  return c.gone.find((g) => id >= g.from && id <= g.to)?.kind;
}

function safeId(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function fail(reason: PointFormatReason, message: string): never {
  throw new PointFormatError(reason, `point catalogue: ${message}`);
}

function u64(b: Buffer, at: number, what: string): number {
  const v = b.readBigUInt64BE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('field', `${what} ${v} is out of range`);
  return Number(v);
}

function i64(b: Buffer, at: number, what: string): number {
  const v = b.readBigInt64BE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail('field', `${what} ${v} is out of range`);
  return Number(v);
}

function zero(b: Buffer, at: number, what: string): undefined {
  if (b.readBigUInt64BE(at) !== 0n) fail('field', `${what} set although its flag is clear`);
  return undefined;
}
