import { UsageError } from './usage-error.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** "1GiB", "512M", "4096" → bytes. Bare K/M/G/T are binary, as in qemu-img and truncate. */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  // Own keys only: "1constructor" must not find Object.prototype.constructor.
  const unit = m && Object.hasOwn(UNITS, m[2]!.toLowerCase()) ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`${what}: cannot read size "${text}" (examples: 1GiB, 512M, 4096)`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`${what}: size "${text}" is out of range`);
  return bytes;
}
