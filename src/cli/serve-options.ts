/**
 * Turns `tandem serve` flags or a JSON config file into ServeSettings. Pure: no I/O
 * besides reading the config file, so every rule is unit-tested.
 */
import { readFileSync } from 'node:fs';
import type { ChapCredentials } from '../iscsi/chap.js';
import type { PortalConfig } from '../target/config.js';
import { UsageError } from '../util/usage-error.js';
import { parseSize } from '../util/parse-size.js';
import { MIN_BUFFER_MEMORY_BYTES } from '../target/transport-limits.js';
import { RBD_AVAILABLE, RBD_UNAVAILABLE } from '../block/rbd-store.js';
import {
  LUN_REPLICATION_KEYS,
  REPLICATION_CONFIG_KEYS,
  checkReplicationConfig,
  lunReplicationFromConfig,
  replicationSettings,
  tuningSettings,
  type ReplicationConfigFile,
  type ReplicationFlags,
} from './replication-options.js';
import type { LunConfig, ServeSettings, ServeTarget } from './serve-config.js';
import { checkName, isObject, isStringArray, positiveInteger, splitOption } from './option-checks.js';
import { RBD_CONFIG_KEYS, RBD_LUN_OPTIONS, applyRbdConfig, applyRbdOption, isRbdPath, parseRbdPath } from './rbd-lun.js';
import { refuseSelfConflicts } from './serve-conflicts.js';

export const DEFAULT_IQN = 'iqn.2026-11.io.tandem:disk0';
export const DEFAULT_LUN_PATH = './data/disk0.img';
export const DEFAULT_LUN_SIZE = 1024 ** 3;
export const DEFAULT_PORTAL: PortalConfig = { host: '127.0.0.1', port: 3260 };
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface ServeFlags extends ReplicationFlags {
  listen?: string[];
  iqn?: string;
  lun?: string[];
  chap?: string;
  mutualChap?: string;
  allow?: string[];
  config?: string;
  logLevel?: string;
  advertise?: string;
  /** --metrics HOST:PORT: Prometheus endpoint. */
  metrics?: string;
  /** --max-connections N: connections held at once, all portals together. */
  maxConnections?: string;
  /** --buffer-memory SIZE: Data-Out and Data-In buffers of all connections together. */
  bufferMemory?: string;
}

/** HOST:PORT, [IPv6]:PORT, or HOST (port 3260). */
export function parsePortal(text: string, flag = '--listen'): PortalConfig {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text) ?? /^([^:\[\]]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`${flag}: cannot read "${text}" (expected HOST:PORT or [IPv6]:PORT)`);
  const port = m[2] === undefined ? 3260 : Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag}: port in "${text}" is out of range`);
  return { host: m[1]!, port };
}

/** The options every --lun takes (an RBD image takes RBD_LUN_OPTIONS too), as help and errors name them. */
export const LUN_OPTIONS = 'size=SIZE, readonly, removable, encrypt, direct, blocksize=512|4096, physical=SIZE, sanitize-rate=SIZE';

/**
 * PATH[,size=SIZE][,readonly][,removable][,encrypt][,direct][,blocksize=512|4096][,physical=SIZE][,sanitize-rate=SIZE],
 * or rbd:POOL/IMAGE with the same options and conf=PATH, id=CLIENT, meta=DIR, op-timeout=SECONDS.
 */
export function parseLun(text: string): LunConfig {
  const [path, ...opts] = text.split(',');
  if (!path) throw new UsageError(`--lun: missing path in "${text}"`);
  const rbd = isRbdPath(path) ? parseRbdPath(path, '--lun') : undefined;
  const lun: LunConfig = { path, readOnly: false, blockSize: 512, ...(rbd ? { rbd } : {}) };
  for (const opt of opts) {
    const { key, value } = splitOption(opt, '--lun', text);
    if (rbd && value !== undefined && applyRbdOption(lun, rbd, key, value, `--lun ${path}`)) continue;
    if (key === 'readonly' && value === undefined) lun.readOnly = true;
    else if (key === 'removable' && value === undefined) lun.removable = true;
    else if (key === 'encrypt' && value === undefined) lun.encrypt = true;
    else if (key === 'direct' && value === undefined) lun.direct = true;
    else if (key === 'size' && value) lun.size = parseSize(value, `--lun ${path} size`);
    else if (key === 'blocksize' && (value === '512' || value === '4096')) lun.blockSize = Number(value) as 512 | 4096;
    else if (key === 'physical' && value) lun.physicalBlockSize = parseSize(value, `--lun ${path} physical`);
    else if (key === 'sanitize-rate' && value) lun.sanitizeBytesPerSecond = parseSize(value, `--lun ${path} sanitize-rate`);
    else {
      throw new UsageError(
        `--lun: unknown or malformed option "${opt}" in "${text}" (${LUN_OPTIONS}${rbd ? `, ${RBD_LUN_OPTIONS}` : ''})`,
      );
    }
  }
  if (lun.size !== undefined && lun.size % lun.blockSize !== 0) {
    throw new UsageError(`--lun ${path}: size ${lun.size} is not a multiple of the block size ${lun.blockSize}`);
  }
  if (rbd && lun.direct) throw new UsageError(DIRECT_ON_RBD(`--lun ${path}`));
  const ratio = (lun.physicalBlockSize ?? lun.blockSize) / lun.blockSize;
  // READ CAPACITY(16) reports log2(physical/logical) in 4 bits.
  if (ratio < 1 || !Number.isInteger(Math.log2(ratio)) || ratio > 1 << 15) {
    throw new UsageError(`--lun ${path}: physical=${lun.physicalBlockSize} is not a power-of-two multiple of the block size ${lun.blockSize}`);
  }
  return lun;
}

/** librbd reads and writes no file of ours: its cache is set in ceph.conf (rbd_cache). */
const DIRECT_ON_RBD = (where: string): string => `${where}: direct applies to a file or block device, not an RBD image (set rbd_cache in ceph.conf)`;

export function parseChap(text: string, flag: string): ChapCredentials {
  const i = text.indexOf(':');
  if (i <= 0 || i === text.length - 1) throw new UsageError(`${flag}: expected USER:SECRET`);
  const secret = text.slice(i + 1);
  // RFC 7143 §12.1.3: CHAP secrets of at least 12 bytes (96 bits); 16 is the common minimum enforced by initiators.
  if (Buffer.byteLength(secret) < 12) throw new UsageError(`${flag}: secret must be at least 12 characters`);
  return { user: text.slice(0, i), secret };
}

export function buildServeSettings(flags: ServeFlags): ServeSettings {
  const file = flags.config ? readConfigFile(flags.config) : {};
  const listen = flags.listen?.length ? flags.listen : (file.listen ?? []);
  const portals = listen.length ? listen.map((l) => parsePortal(l)) : [DEFAULT_PORTAL];

  const logLevel = flags.logLevel ?? file.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);

  let targets: ServeTarget[];
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
  for (const lun of targets.flatMap((t) => t.luns)) {
    // As --algorithm xxh3 on a build without it: asked of a build that lacks it, a usage error.
    if (lun.rbd && !RBD_AVAILABLE) throw new UsageError(`--lun ${lun.path}: ${RBD_UNAVAILABLE}`);
  }
  for (const t of targets) {
    if (t.mutualChap && !t.chap) throw new UsageError(`target ${t.iqn}: mutual CHAP needs one-way CHAP (--chap) as well`);
    // RFC 7143 §9.2.1: the target refuses an initiator whose secret is its own (chap-authenticator.ts).
    if (t.mutualChap && t.mutualChap.secret === t.chap?.secret) {
      throw new UsageError(`target ${t.iqn}: the mutual CHAP secret must differ from the CHAP secret (RFC 7143 §9.2.1)`);
    }
    if (t.luns.length === 0) throw new UsageError(`target ${t.iqn}: no LUNs`);
  }
  const iqns = new Set<string>();
  for (const t of targets) {
    if (iqns.has(t.iqn)) throw new UsageError(`target ${t.iqn} is defined twice`);
    iqns.add(t.iqn);
  }
  const advertise = flags.advertise ?? file.advertise;
  if (advertise !== undefined) parsePortal(advertise, '--advertise');
  const metricsText = flags.metrics ?? file.metrics;
  // No default port for metrics: 3260 would collide with the iSCSI portal.
  if (metricsText !== undefined && !/:\d+$/.test(metricsText)) throw new UsageError(`--metrics: "${metricsText}" needs a port (HOST:PORT, e.g. 127.0.0.1:9464)`);
  const metrics = metricsText !== undefined ? parsePortal(metricsText, '--metrics') : undefined;
  refuseSelfConflicts(portals, metrics, targets);
  const replication = tuningSettings(flags, file, targets);
  return {
    portals,
    targets,
    logLevel,
    advertise,
    ...resourceLimits(flags, file),
    ...replicationSettings(flags, file, targets),
    ...(metrics ? { metrics } : {}),
    ...(replication ? { replication } : {}),
  };
}

/** --max-connections and --buffer-memory (or the config file's maxConnections, bufferMemory). */
function resourceLimits(flags: ServeFlags, file: ConfigFile): { maxConnections?: number; bufferMemory?: number } {
  const out: { maxConnections?: number; bufferMemory?: number } = {};
  const connections = flags.maxConnections ?? (file.maxConnections === undefined ? undefined : String(file.maxConnections));
  if (connections !== undefined) out.maxConnections = positiveInteger(connections, '--max-connections');
  const memory = flags.bufferMemory ?? (file.bufferMemory === undefined ? undefined : String(file.bufferMemory));
  if (memory !== undefined) {
    const bytes = parseSize(memory, '--buffer-memory');
    if (bytes < MIN_BUFFER_MEMORY_BYTES) {
      throw new UsageError(`--buffer-memory: ${memory} is below ${MIN_BUFFER_MEMORY_BYTES / 1024 ** 2} MiB, what one connection's writes may hold`);
    }
    out.bufferMemory = bytes;
  }
  return out;
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

interface ConfigFile extends ReplicationConfigFile {
  listen?: string[];
  logLevel?: string;
  advertise?: string;
  targets?: unknown[];
  metrics?: string;
  maxConnections?: number;
  bufferMemory?: string | number;
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
  const allowed = ['listen', 'logLevel', 'advertise', 'targets', 'metrics', 'maxConnections', 'bufferMemory', ...REPLICATION_CONFIG_KEYS];
  for (const key of Object.keys(json)) {
    if (!allowed.includes(key)) throw new UsageError(`--config ${path}: unknown key "${key}" (allowed: ${allowed.join(', ')})`);
  }
  if (json.listen !== undefined && !isStringArray(json.listen)) throw new UsageError(`--config ${path}: "listen" must be an array of "HOST:PORT" strings`);
  if (json.logLevel !== undefined && typeof json.logLevel !== 'string') throw new UsageError(`--config ${path}: "logLevel" must be a string`);
  if (json.advertise !== undefined && typeof json.advertise !== 'string') throw new UsageError(`--config ${path}: "advertise" must be a string`);
  if (json.targets !== undefined && !Array.isArray(json.targets)) throw new UsageError(`--config ${path}: "targets" must be an array`);
  // A server of no target would serve nothing (an empty list, unlike none, takes no default LUN).
  if (Array.isArray(json.targets) && json.targets.length === 0) throw new UsageError(`--config ${path}: "targets" is empty (leave it out for the default LUN)`);
  if (json.metrics !== undefined && typeof json.metrics !== 'string') throw new UsageError(`--config ${path}: "metrics" must be a string`);
  if (json.maxConnections !== undefined && typeof json.maxConnections !== 'number') throw new UsageError(`--config ${path}: "maxConnections" must be a number`);
  if (json.bufferMemory !== undefined && typeof json.bufferMemory !== 'string' && typeof json.bufferMemory !== 'number') {
    throw new UsageError(`--config ${path}: "bufferMemory" must be a size ("1GiB") or a number of bytes`);
  }
  checkReplicationConfig(json, path);
  return json as ConfigFile;
}

function targetFromConfig(raw: unknown, where: string): ServeTarget {
  if (!isObject(raw)) throw new UsageError(`--config: ${where} must be an object`);
  const allowed = ['iqn', 'alias', 'luns', 'chap', 'mutualChap', 'allow'];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new UsageError(`--config: ${where} has unknown key "${key}"`);
  }
  if (typeof raw.iqn !== 'string') throw new UsageError(`--config: ${where}.iqn must be a string`);
  if (!Array.isArray(raw.luns)) throw new UsageError(`--config: ${where}.luns must be an array of "PATH[,size=..]" strings or LUN objects`);
  const luns = raw.luns.map((l, i) => lunFromConfig(l, `${where}.luns[${i}]`));
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

/**
 * A LUN entry: the --lun string form, or `{path, size, readOnly, blockSize, removable, encrypt, direct, replica,
 * mode, sync}` (and `conf`, `id`, `meta`, `opTimeout` when path is rbd:POOL/IMAGE).
 */
function lunFromConfig(raw: unknown, where: string): LunConfig {
  if (typeof raw === 'string') return parseLun(raw);
  if (!isObject(raw)) throw new UsageError(`--config: ${where} must be a "PATH[,size=..]" string or an object`);
  if (typeof raw.path !== 'string' || raw.path === '') throw new UsageError(`--config: ${where}.path must be a non-empty string`);
  const rbd = isRbdPath(raw.path) ? parseRbdPath(raw.path, `--config: ${where}.path`) : undefined;
  const allowed = ['path', 'size', 'readOnly', 'blockSize', 'removable', 'encrypt', 'direct', ...LUN_REPLICATION_KEYS, ...(rbd ? RBD_CONFIG_KEYS : [])];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new UsageError(`--config: ${where} has unknown key "${key}" (allowed: ${allowed.join(', ')})`);
  }
  const lun: LunConfig = { path: raw.path, readOnly: false, blockSize: 512, ...(rbd ? { rbd } : {}) };
  if (rbd) applyRbdConfig(raw, lun, rbd, where);
  if (raw.size !== undefined) {
    if (typeof raw.size === 'number' && Number.isSafeInteger(raw.size) && raw.size > 0) lun.size = raw.size;
    else if (typeof raw.size === 'string') lun.size = parseSize(raw.size, `${where}.size`);
    else throw new UsageError(`--config: ${where}.size must be a byte count or a size such as "1G"`);
  }
  for (const key of ['readOnly', 'removable', 'encrypt', 'direct'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean') throw new UsageError(`--config: ${where}.${key} must be true or false`);
  }
  if (raw.readOnly === true) lun.readOnly = true;
  if (raw.removable === true) lun.removable = true;
  if (raw.encrypt === true) lun.encrypt = true;
  if (raw.direct === true) {
    if (rbd) throw new UsageError(DIRECT_ON_RBD(`--config: ${where}`));
    lun.direct = true;
  }
  if (raw.blockSize !== undefined) {
    if (raw.blockSize !== 512 && raw.blockSize !== 4096) throw new UsageError(`--config: ${where}.blockSize must be 512 or 4096`);
    lun.blockSize = raw.blockSize;
  }
  Object.assign(lun, lunReplicationFromConfig(raw, where));
  if (lun.size !== undefined && lun.size % lun.blockSize !== 0) {
    throw new UsageError(`--config: ${where}: size ${lun.size} is not a multiple of the block size ${lun.blockSize}`);
  }
  return lun;
}
