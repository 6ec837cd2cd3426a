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
