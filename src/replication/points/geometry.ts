/**
 * The copy-on-write units of a volume: `granularity` bytes each (a power of two, 512 B to
 * 64 MiB), the last one cut short when the volume is not a multiple of it.
 */
import { firstUnit, lastUnit } from '../../util/unit-span.js';
import { PointError } from './point-error.js';

export const DEFAULT_GRANULARITY = 4096;
export const MIN_GRANULARITY = 512;
export const MAX_GRANULARITY = 64 * 1024 * 1024;

export class Geometry {
  readonly units: number;

  constructor(
    readonly volumeSize: number,
    readonly granularity: number,
  ) {
    if (!validGranularity(granularity)) throw new RangeError(`granularity ${granularity}: a power of two from ${MIN_GRANULARITY} to ${MAX_GRANULARITY} bytes`);
    if (!Number.isSafeInteger(volumeSize) || volumeSize <= 0) throw new RangeError(`volume size ${volumeSize}`);
    this.units = Math.ceil(volumeSize / granularity);
  }

  offsetOf(unit: number): number {
    return unit * this.granularity;
  }

  /** Bytes of unit `u` (the last may be short). */
  unitLength(u: number): number {
    return Math.min(this.granularity, this.volumeSize - u * this.granularity);
  }

  /** Bytes of `count` units from `first`. */
  runBytes(first: number, count: number): number {
    return Math.min(this.volumeSize, (first + count) * this.granularity) - first * this.granularity;
  }

  /** The first and last unit a byte range touches, as two numbers (no tuple: a host write asks). */
  firstUnit(offset: number): number {
    return firstUnit(offset, this.granularity);
  }

  lastUnit(offset: number, length: number): number {
    return lastUnit(offset, length, this.granularity);
  }

  /** Throws a PointError for a range outside the volume. */
  checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.volumeSize) {
      throw new PointError(`range offset=${offset} length=${length} is outside the ${this.volumeSize}-byte volume`);
    }
  }
}

export function validGranularity(g: number): boolean {
  return Number.isInteger(g) && g >= MIN_GRANULARITY && g <= MAX_GRANULARITY && (g & (g - 1)) === 0;
}

/** The PointError a granularity asked for that is not one (a store opened with it). */
export function checkGranularity(g: number): void {
  if (!validGranularity(g)) throw new PointError(`granularity ${g}: a power of two from 512 B to 64 MiB`);
}

/** Byte ranges of unit runs, merged where they touch. */
export function unitRangesToBytes(runs: Iterable<[number, number]>, g: Geometry): Array<{ offset: number; length: number }> {
  const out: Array<{ offset: number; length: number }> = [];
  for (const [first, count] of runs) {
    const offset = g.offsetOf(first);
    const length = g.runBytes(first, count);
    const last = out[out.length - 1];
    if (last && last.offset + last.length === offset) last.length += length;
    else out.push({ offset, length });
  }
  return out;
}
