/** Checks shared by the flag and config-file parsers. */
import { UsageError } from '../util/usage-error.js';

const IQN_RE = /^(iqn\.\d{4}-\d{2}\.[^\s]+|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16,32})$/;

export function checkName(name: string, flag: string): string {
  if (!IQN_RE.test(name) || Buffer.byteLength(name) > 223) throw new UsageError(`${flag}: "${name}" is not a valid iSCSI name (iqn.YYYY-MM.domain:id)`);
  return name.toLowerCase();
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** A count as typed: a whole number from 1 up ("0", "-1", "1.5", "abc" and " 5" with a sign or unit are not). */
export function positiveInteger(text: string, flag: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: "${text}" is not a positive integer`);
  return n;
}
