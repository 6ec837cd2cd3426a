/**
 * The `rbd:POOL/IMAGE` form of a LUN (a Ceph RBD image instead of a file): reading it from
 * --lun and config entries, and where such a LUN keeps its local metadata. Pure, as the
 * rest of the option parsing.
 */
import { join } from 'node:path';
import { UsageError } from '../util/usage-error.js';
import type { LunConfig, RbdLunSource } from './serve-config.js';
import { splitOption } from './option-checks.js';

const PREFIX = 'rbd:';
/** Options only an rbd: LUN takes, in --lun (`key=value`) and in config objects (`opTimeout` there). */
export const RBD_LUN_OPTIONS = 'conf=PATH, id=CLIENT, meta=DIR, op-timeout=SECONDS';
export const RBD_CONFIG_KEYS = ['conf', 'id', 'meta', 'opTimeout'];
/** The string-valued config keys, named as in --lun. */
const RBD_CONFIG_STRING_KEYS = ['conf', 'id', 'meta'];

export function isRbdPath(path: string): boolean {
  return path.startsWith(PREFIX);
}

/** rbd:POOL/IMAGE → {pool, image}; `where` names the flag or config entry in errors. */
export function parseRbdPath(path: string, where: string): RbdLunSource {
  const m = /^rbd:([^/@\s]+)\/([^/@\s]+)$/.exec(path);
  if (!m) throw new UsageError(`${where}: cannot read "${path}" (expected rbd:POOL/IMAGE)`);
  return { pool: m[1]!, image: m[2]! };
}

/** Applies one rbd-only option; false when `key` is not one. `where` names the LUN in errors about a value. */
export function applyRbdOption(lun: LunConfig, rbd: RbdLunSource, key: string, value: string, where: string): boolean {
  if (value === '') return false;
  if (key === 'conf') rbd.conf = value;
  else if (key === 'id') rbd.client = value.startsWith('client.') ? value.slice('client.'.length) : value;
  else if (key === 'meta') lun.metaDir = value;
  else if (key === 'op-timeout') rbd.opTimeout = parseOpTimeout(value, where);
  else return false;
  return true;
}

/** The rbd-only keys of a config file's LUN object (`conf`, `id`, `meta` strings, `opTimeout` seconds). */
export function applyRbdConfig(raw: Record<string, unknown>, lun: LunConfig, rbd: RbdLunSource, where: string): void {
  for (const key of RBD_CONFIG_STRING_KEYS) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !applyRbdOption(lun, rbd, key, value, where)) throw new UsageError(`--config: ${where}.${key} must be a non-empty string`);
  }
  const timeout = raw.opTimeout;
  if (timeout === undefined) return;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > MAX_OP_TIMEOUT_S) {
    throw new UsageError(`--config: ${where}.opTimeout must be a non-negative integer of seconds (0: wait for the OSDs), not ${JSON.stringify(timeout)}`);
  }
  rbd.opTimeout = timeout;
}

/** What the addon takes (a uint32 of seconds; ceph would take more, no one needs it). */
const MAX_OP_TIMEOUT_S = 0x7fffffff;

function parseOpTimeout(value: string, where: string): number {
  const seconds = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(seconds <= MAX_OP_TIMEOUT_S)) throw new UsageError(`${where}: op-timeout must be a non-negative integer of seconds (0: wait for the OSDs), not "${value}"`);
  return seconds;
}

/**
 * Where a LUN keeps its local metadata (PR state, saved mode pages, replication state): beside
 * a file image, or under ./data/rbd/POOL/ for an RBD image (`meta=DIR` overrides).
 */
export function rbdMetaDir(rbd: RbdLunSource): string {
  return join('data', 'rbd', rbd.pool, `${rbd.image}.tandem`);
}

/** `rbd:POOL/IMAGE[,conf=PATH][,id=CLIENT][,op-timeout=SECONDS]` given to `flag` (a verify source): the image to open read-only. */
export function parseRbdSource(text: string, flag: string): LunConfig & { rbd: RbdLunSource } {
  const [path = '', ...opts] = text.split(',');
  const rbd = parseRbdPath(path, flag);
  const lun = { path, readOnly: true, blockSize: 512 as const, rbd };
  for (const opt of opts) {
    const { key, value } = splitOption(opt, flag, text);
    if (key === 'meta' || value === undefined || !applyRbdOption(lun, rbd, key, value, `${flag} ${path}`)) {
      throw new UsageError(`${flag}: unknown or malformed option "${opt}" in "${text}" (conf=PATH, id=CLIENT, op-timeout=SECONDS)`);
    }
  }
  return lun;
}

