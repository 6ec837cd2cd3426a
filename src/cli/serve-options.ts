/**
 * Turns `tandem serve` flags or a JSON config file into a ServeConfig. Pure: no I/O
 * besides reading the config file, so every rule is unit-tested.
 */
import { readFileSync } from 'node:fs';
import type { ChapCredentials, LunConfig, PortalConfig, ServeConfig, TargetConfig } from '../target/config.js';
import { UsageError } from './errors.js';
import { parseSize } from './parse-size.js';

export const DEFAULT_IQN = 'iqn.2026-11.io.tandem:disk0';
export const DEFAULT_LUN_PATH = './data/disk0.img';
export const DEFAULT_LUN_SIZE = 1024 ** 3;
export const DEFAULT_PORTAL: PortalConfig = { host: '127.0.0.1', port: 3260 };
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface ServeFlags {
  listen?: string[];
  iqn?: string;
  lun?: string[];
  chap?: string;
  mutualChap?: string;
  allow?: string[];
  config?: string;
  logLevel?: string;
  advertise?: string;
}

export interface ServeSettings extends ServeConfig {
  /** Address:port SendTargets reports instead of the connection's local address (NAT, VMs). */
  advertise?: string;
}

/** HOST:PORT, [IPv6]:PORT, or HOST (port 3260). */
export function parsePortal(text: string): PortalConfig {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text) ?? /^([^:\[\]]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`--listen: cannot read "${text}" (expected HOST:PORT or [IPv6]:PORT)`);
  const port = m[2] === undefined ? 3260 : Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--listen: port in "${text}" is out of range`);
  return { host: m[1]!, port };
}

/** PATH[,size=SIZE][,readonly][,removable][,blocksize=512|4096] */
export function parseLun(text: string): LunConfig {
  const [path, ...opts] = text.split(',');
  if (!path) throw new UsageError(`--lun: missing path in "${text}"`);
  const lun: LunConfig = { path, readOnly: false, blockSize: 512 };
  for (const opt of opts) {
    const [key, value] = opt.split('=', 2) as [string, string | undefined];
    if (key === 'readonly' && value === undefined) lun.readOnly = true;
    else if (key === 'removable' && value === undefined) lun.removable = true;
    else if (key === 'size' && value) lun.size = parseSize(value, `--lun ${path} size`);
    else if (key === 'blocksize' && (value === '512' || value === '4096')) lun.blockSize = Number(value) as 512 | 4096;
    else throw new UsageError(`--lun: unknown or malformed option "${opt}" in "${text}" (size=SIZE, readonly, removable, blocksize=512|4096)`);
  }
  if (lun.size !== undefined && lun.size % lun.blockSize !== 0) {
    throw new UsageError(`--lun ${path}: size ${lun.size} is not a multiple of the block size ${lun.blockSize}`);
  }
  return lun;
}

export function parseChap(text: string, flag: string): ChapCredentials {
  const i = text.indexOf(':');
  if (i <= 0 || i === text.length - 1) throw new UsageError(`${flag}: expected USER:SECRET`);
  const secret = text.slice(i + 1);
  // RFC 7143 §12.1.3: CHAP secrets of at least 12 bytes (96 bits); 16 is the common minimum enforced by initiators.
  if (Buffer.byteLength(secret) < 12) throw new UsageError(`${flag}: secret must be at least 12 characters`);
  return { user: text.slice(0, i), secret };
}

const IQN_RE = /^(iqn\.\d{4}-\d{2}\.[^\s]+|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16,32})$/;

export function checkName(name: string, flag: string): string {
  if (!IQN_RE.test(name) || Buffer.byteLength(name) > 223) throw new UsageError(`${flag}: "${name}" is not a valid iSCSI name (iqn.YYYY-MM.domain:id)`);
  return name.toLowerCase();
}

export function buildServeSettings(flags: ServeFlags): ServeSettings {
  const file = flags.config ? readConfigFile(flags.config) : {};
  const listen = flags.listen?.length ? flags.listen : (file.listen ?? []);
  const portals = listen.length ? listen.map(parsePortal) : [DEFAULT_PORTAL];

  const logLevel = flags.logLevel ?? file.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);

  let targets: TargetConfig[];
  const flagTarget = flags.iqn || flags.lun?.length || flags.chap || flags.mutualChap || flags.allow?.length;
  if (file.targets && !flagTarget) {
    targets = file.targets.map((t, i) => targetFromConfig(t, `targets[${i}]`));
  } else {
    const luns = flags.lun?.length ? flags.lun.map(parseLun) : [{ path: DEFAULT_LUN_PATH, size: DEFAULT_LUN_SIZE, readOnly: false, blockSize: 512 as const }];
    targets = [
      {
        iqn: checkName(flags.iqn ?? DEFAULT_IQN, '--iqn'),
        luns,
        chap: flags.chap ? parseChap(flags.chap, '--chap') : undefined,
        mutualChap: flags.mutualChap ? parseChap(flags.mutualChap, '--mutual-chap') : undefined,
        allow: (flags.allow ?? []).map((a) => checkName(a, '--allow')),
      },
    ];
  }
  for (const t of targets) {
    if (t.mutualChap && !t.chap) throw new UsageError(`target ${t.iqn}: mutual CHAP needs one-way CHAP (--chap) as well`);
    if (t.luns.length === 0) throw new UsageError(`target ${t.iqn}: no LUNs`);
  }
  const iqns = new Set<string>();
  for (const t of targets) {
    if (iqns.has(t.iqn)) throw new UsageError(`target ${t.iqn} is defined twice`);
    iqns.add(t.iqn);
  }
  const advertise = flags.advertise ?? file.advertise;
  if (advertise !== undefined) parsePortal(advertise);
  return { portals, targets, logLevel, advertise };
}

/** Portals that are not loopback and targets open to anyone: worth a warning at start. */
export function openTargetsOnNetwork(settings: ServeSettings): string[] {
  const exposed = settings.portals.some((p) => !isLoopback(p.host));
  if (!exposed) return [];
  return settings.targets.filter((t) => !t.chap && t.allow.length === 0).map((t) => t.iqn);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

interface ConfigFile {
  listen?: string[];
  logLevel?: string;
  advertise?: string;
  targets?: unknown[];
}

function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--config: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config ${path}: not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw new UsageError(`--config ${path}: expected a JSON object`);
  const allowed = ['listen', 'logLevel', 'advertise', 'targets'];
  for (const key of Object.keys(json)) {
    if (!allowed.includes(key)) throw new UsageError(`--config ${path}: unknown key "${key}" (allowed: ${allowed.join(', ')})`);
  }
  if (json.listen !== undefined && !isStringArray(json.listen)) throw new UsageError(`--config ${path}: "listen" must be an array of "HOST:PORT" strings`);
  if (json.logLevel !== undefined && typeof json.logLevel !== 'string') throw new UsageError(`--config ${path}: "logLevel" must be a string`);
  if (json.advertise !== undefined && typeof json.advertise !== 'string') throw new UsageError(`--config ${path}: "advertise" must be a string`);
  if (json.targets !== undefined && !Array.isArray(json.targets)) throw new UsageError(`--config ${path}: "targets" must be an array`);
  return json as ConfigFile;
}

function targetFromConfig(raw: unknown, where: string): TargetConfig {
  if (!isObject(raw)) throw new UsageError(`--config: ${where} must be an object`);
  const allowed = ['iqn', 'alias', 'luns', 'chap', 'mutualChap', 'allow'];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new UsageError(`--config: ${where} has unknown key "${key}"`);
  }
  if (typeof raw.iqn !== 'string') throw new UsageError(`--config: ${where}.iqn must be a string`);
  if (!Array.isArray(raw.luns)) throw new UsageError(`--config: ${where}.luns must be an array of "PATH[,size=..]" strings`);
  const luns = raw.luns.map((l, i) => {
    if (typeof l !== 'string') throw new UsageError(`--config: ${where}.luns[${i}] must be a string`);
    return parseLun(l);
  });
  const chapField = (v: unknown, key: string): ChapCredentials | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new UsageError(`--config: ${where}.${key} must be "USER:SECRET"`);
    return parseChap(v, `${where}.${key}`);
  };
  if (raw.allow !== undefined && !isStringArray(raw.allow)) throw new UsageError(`--config: ${where}.allow must be an array of initiator IQNs`);
  if (raw.alias !== undefined && typeof raw.alias !== 'string') throw new UsageError(`--config: ${where}.alias must be a string`);
  return {
    iqn: checkName(raw.iqn, `${where}.iqn`),
    alias: raw.alias as string | undefined,
    luns,
    chap: chapField(raw.chap, 'chap'),
    mutualChap: chapField(raw.mutualChap, 'mutualChap'),
    allow: ((raw.allow as string[] | undefined) ?? []).map((a) => checkName(a, `${where}.allow`)),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}
