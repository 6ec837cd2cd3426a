/**
 * The first and last fixed-size unit (chunk, extent) a byte range touches, as two numbers rather
 * than a tuple or an array: several of these run for every host write. A zero-length range
 * touches the unit at its offset.
 */
export function firstUnit(offset: number, unitSize: number): number {
  return Math.floor(offset / unitSize);
}

export function lastUnit(offset: number, length: number, unitSize: number): number {
  return Math.floor((offset + Math.max(length, 1) - 1) / unitSize);
}
