/**
 * Turns `tandem serve` flags or a JSON config file into a ServeConfig. Pure: no I/O
 * besides reading the config file, so every rule is unit-tested.
 */
import { readFileSync } from 'node:fs';
import type { ChapCredentials, LunConfig, PortalConfig, ServeConfig, TargetConfig } from '../target/config.js';
import { UsageError } from './errors.js';
import { parseSize } from './parse-size.js';
import { parseIscsiUrl } from '../initiator/url.js';
import { SETTABLE_KEYS, isSettableKey, milliseconds } from '../replication/control/settable.js';
import type { SwitchThresholds } from '../replication/switch-criteria.js';

export const DEFAULT_IQN = 'iqn.2026-11.io.tandem:disk0';
export const DEFAULT_LUN_PATH = './data/disk0.img';
export const DEFAULT_LUN_SIZE = 1024 ** 3;
export const DEFAULT_REPLICATOR_IQN = 'iqn.2026-11.io.tandem:replicator';
export const DEFAULT_CONTROL_PATH = './data/tandem.sock';
export const REPLICATION_MODES = ['continuous', 'delta', 'auto'] as const;
export type ServeRole = 'primary' | 'backup';
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
  role?: string;
  /** Applies to the single LUN (from --lun or the default). */
  replica?: string;
  replicationMode?: string;
  /** --sync (true) / --async (false). */
  sync?: boolean;
  startOver?: boolean;
  replicatorIqn?: string;
  control?: string;
  /** --metrics HOST:PORT: Prometheus endpoint. */
  metrics?: string;
  /** --threshold KEY=VALUE (repeatable): a switching threshold or deltaIntervalMs. */
  threshold?: string[];
}

/** The config file's `replication` object (and --threshold flags): applied to every replicated LUN. */
export interface ReplicationTuning {
  thresholds: Partial<SwitchThresholds>;
  /** Delta-table chunk; a power of two, at least the LUN's block size. */
  chunkSize?: number;
  journalCapacity?: number;
  deltaIntervalMs?: number;
  /** Every replica-link command settles within this; it bounds link-failure detection. */
  linkTimeoutMs?: number;
}

export interface ServeSettings extends ServeConfig {
  /** Address:port SendTargets reports instead of the connection's local address (NAT, VMs). */
  advertise?: string;
  /** Where the Prometheus endpoint listens (GET /metrics). */
  metrics?: PortalConfig;
  replication?: ReplicationTuning;
}

const THRESHOLD_KEYS: ReadonlyArray<keyof SwitchThresholds> = [
  'maxRttMs',
  'maxWriteLatencyMs',
  'maxNetInflowBytesPerSec',
  'maxJournalFill',
  'maxRedundancy',
  'healthyForMs',
  'lowTrafficBytesPerSec',
  'lowTrafficForMs',
];
const TUNING_KEYS = ['thresholds', 'chunkSize', 'journalCapacity', 'deltaIntervalMs', 'linkTimeoutMs'];
/** A link timeout below this would call a healthy loaded link failed. */
const MIN_LINK_TIMEOUT_MS = 100;
/** Below this a single large host write could not fit the journal. */
const MIN_JOURNAL_CAPACITY = 1024 * 1024;

/** One settable value, from JSON (number as is, string through the key's parser) or a flag. */
function settableValue(key: keyof typeof SETTABLE_KEYS, raw: unknown, where: string): number {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) throw new UsageError(`${where}: must be a non-negative number`);
    if (key === 'maxJournalFill' && (raw <= 0 || raw > 1)) throw new UsageError(`${where}: must be a fraction in (0, 1]`);
    return raw;
  }
  if (typeof raw !== 'string') throw new UsageError(`${where}: must be a number or a string such as "250ms" or "64MiB"`);
  try {
    return SETTABLE_KEYS[key].parse(raw);
  } catch (e) {
    throw new UsageError(`${where}: ${(e as Error).message}`);
  }
}

function byteCount(raw: unknown, where: string): number {
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0) return raw;
  if (typeof raw === 'string') return parseSize(raw, where);
  throw new UsageError(`${where}: must be a byte count or a size such as "64KiB"`);
}

/** Validates the config file's `replication` object; unknown keys are one line naming the allowed ones. */
export function parseReplicationTuning(raw: unknown, where = '--config: replication'): ReplicationTuning {
  if (!isObject(raw)) throw new UsageError(`${where} must be an object with ${TUNING_KEYS.join(', ')}`);
  for (const key of Object.keys(raw)) {
    if (!TUNING_KEYS.includes(key)) throw new UsageError(`${where}: unknown key "${key}" (allowed: ${TUNING_KEYS.join(', ')})`);
  }
  const tuning: ReplicationTuning = { thresholds: {} };
  if (raw.thresholds !== undefined) {
    if (!isObject(raw.thresholds)) throw new UsageError(`${where}.thresholds must be an object`);
    for (const [key, value] of Object.entries(raw.thresholds)) {
      if (!(THRESHOLD_KEYS as readonly string[]).includes(key)) throw new UsageError(`${where}.thresholds: unknown key "${key}" (allowed: ${THRESHOLD_KEYS.join(', ')})`);
      tuning.thresholds[key as keyof SwitchThresholds] = settableValue(key as keyof SwitchThresholds, value, `${where}.thresholds.${key}`);
    }
  }
  if (raw.chunkSize !== undefined) {
    const c = byteCount(raw.chunkSize, `${where}.chunkSize`);
    if (c < 512 || (c & (c - 1)) !== 0 || c > 1 << 30) throw new UsageError(`${where}.chunkSize: ${c} is not a power of two between 512 and 1 GiB`);
    tuning.chunkSize = c;
  }
  if (raw.journalCapacity !== undefined) {
    const j = byteCount(raw.journalCapacity, `${where}.journalCapacity`);
    if (j < MIN_JOURNAL_CAPACITY) throw new UsageError(`${where}.journalCapacity: ${j} is below the minimum of 1 MiB`);
    tuning.journalCapacity = j;
  }
  if (raw.deltaIntervalMs !== undefined) tuning.deltaIntervalMs = settableValue('deltaIntervalMs', raw.deltaIntervalMs, `${where}.deltaIntervalMs`);
  if (raw.linkTimeoutMs !== undefined) {
    const t = typeof raw.linkTimeoutMs === 'number' ? raw.linkTimeoutMs : typeof raw.linkTimeoutMs === 'string' ? durationOrNaN(raw.linkTimeoutMs) : NaN;
    if (!Number.isFinite(t) || t < MIN_LINK_TIMEOUT_MS) throw new UsageError(`${where}.linkTimeoutMs: must be a duration of at least ${MIN_LINK_TIMEOUT_MS} ms (e.g. 2000, "2s")`);
    tuning.linkTimeoutMs = t;
  }
  return tuning;
}

function durationOrNaN(text: string): number {
  try {
    return milliseconds(text);
  } catch {
    return NaN;
  }
}

/** --threshold KEY=VALUE flags, laid over the config file's values. */
function applyThresholdFlags(tuning: ReplicationTuning, flags: readonly string[]): void {
  for (const text of flags) {
    const i = text.indexOf('=');
    const key = i > 0 ? text.slice(0, i) : '';
    if (!isSettableKey(key)) {
      throw new UsageError(`--threshold: expected KEY=VALUE with KEY one of ${Object.keys(SETTABLE_KEYS).join(', ')}, not "${text}"`);
    }
    const value = settableValue(key, text.slice(i + 1), `--threshold ${key}`);
    if (key === 'deltaIntervalMs') tuning.deltaIntervalMs = value;
    else tuning.thresholds[key as keyof SwitchThresholds] = value;
  }
}

/** HOST:PORT, [IPv6]:PORT, or HOST (port 3260). */
export function parsePortal(text: string, flag = '--listen'): PortalConfig {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text) ?? /^([^:\[\]]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`${flag}: cannot read "${text}" (expected HOST:PORT or [IPv6]:PORT)`);
  const port = m[2] === undefined ? 3260 : Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag}: port in "${text}" is out of range`);
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
  const portals = listen.length ? listen.map((l) => parsePortal(l)) : [DEFAULT_PORTAL];

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
  const metricsText = flags.metrics ?? file.metrics;
  // No default port for metrics: 3260 would collide with the iSCSI portal.
  if (metricsText !== undefined && !/:\d+$/.test(metricsText)) throw new UsageError(`--metrics: "${metricsText}" needs a port (HOST:PORT, e.g. 127.0.0.1:9464)`);
  const metrics = metricsText !== undefined ? parsePortal(metricsText, '--metrics') : undefined;
  const replication = tuningSettings(flags, file, targets);
  return { portals, targets, logLevel, advertise, ...replicationSettings(flags, file, targets), ...(metrics ? { metrics } : {}), ...(replication ? { replication } : {}) };
}

/** The config's `replication` object with --threshold flags on top; checked against the LUNs' block sizes. */
function tuningSettings(flags: ServeFlags, file: ConfigFile, targets: TargetConfig[]): ReplicationTuning | undefined {
  if (file.replication === undefined && !flags.threshold?.length) return undefined;
  const tuning = file.replication !== undefined ? parseReplicationTuning(file.replication) : { thresholds: {} };
  if (flags.threshold?.length) {
    if ((flags.role ?? file.role) !== 'primary') throw new UsageError('--threshold only applies with --role primary');
    applyThresholdFlags(tuning, flags.threshold);
  }
  if (tuning.chunkSize !== undefined) {
    for (const lun of targets.flatMap((t) => t.luns)) {
      if (lun.replica !== undefined && tuning.chunkSize < lun.blockSize) throw new UsageError(`replication.chunkSize ${tuning.chunkSize} is smaller than the block size ${lun.blockSize} of ${lun.path}`);
    }
  }
  return tuning;
}

/**
 * Role, replicas and their modes. The server-wide --replication-mode / --sync|--async
 * fill in what a LUN's own config entry leaves unset; each rule fails with one line.
 */
function replicationSettings(flags: ServeFlags, file: ConfigFile, targets: TargetConfig[]): Pick<ServeSettings, 'role' | 'replicatorIqn' | 'startOver' | 'control'> {
  const roleText = flags.role ?? file.role;
  if (roleText !== undefined && roleText !== 'primary' && roleText !== 'backup') throw new UsageError(`--role: "${roleText}" is not one of primary, backup`);
  const role = roleText as ServeRole | undefined;
  const luns = targets.flatMap((t) => t.luns);
  if (flags.replica !== undefined) {
    if (luns.length !== 1) throw new UsageError('--replica applies to a single LUN; with several, give each its "replica" in the config file');
    luns[0]!.replica = flags.replica;
  }
  const modeText = flags.replicationMode ?? file.replicationMode;
  if (modeText !== undefined) checkMode(modeText, '--replication-mode');
  const sync = flags.sync ?? file.sync;
  const startOver = flags.startOver ?? file.startOver ?? false;
  const replicated = luns.filter((l) => l.replica !== undefined);
  if (role !== 'primary') {
    if (replicated.length > 0) throw new UsageError(`a replica (${replicated[0]!.path}) needs --role primary`);
    const primaryOnly = [modeText !== undefined && '--replication-mode', sync !== undefined && (sync ? '--sync' : '--async'), startOver && '--start-over'].filter(Boolean);
    if (primaryOnly.length > 0) throw new UsageError(`${primaryOnly.join(', ')} only apply with --role primary`);
  } else {
    if (replicated.length === 0) throw new UsageError('--role primary needs a replica: --replica iscsi://USER:SECRET@HOST:PORT/IQN/LUN, or "replica" on a LUN in the config file');
    for (const lun of replicated) {
      checkReplicaUrl(lun.replica!, lun.path);
      if (lun.readOnly) throw new UsageError(`LUN ${lun.path}: a read-only LUN cannot be a replication primary`);
      lun.replicationMode ??= (modeText as LunConfig['replicationMode']) ?? 'auto';
      lun.sync ??= sync ?? false;
    }
  }
  const replicatorIqn = checkName(flags.replicatorIqn ?? file.replicatorIqn ?? DEFAULT_REPLICATOR_IQN, '--replicator-iqn');
  const control = flags.control ?? file.control ?? (role ? DEFAULT_CONTROL_PATH : undefined);
  return role ? { role, replicatorIqn, startOver, control } : { control };
}

function checkMode(text: string, where: string): void {
  if (!(REPLICATION_MODES as readonly string[]).includes(text)) throw new UsageError(`${where}: "${text}" is not one of ${REPLICATION_MODES.join(', ')}`);
}

/** iscsi://[user:secret@]host[:port]/IQN/LUN, checked now so a typo fails before any connection. */
function checkReplicaUrl(url: string, lunPath: string): void {
  try {
    parseIscsiUrl(url);
  } catch (e) {
    throw new UsageError(`replica for ${lunPath}: ${(e as Error).message} (expected iscsi://USER:SECRET@HOST:PORT/IQN/LUN)`);
  }
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
  role?: string;
  replicationMode?: string;
  sync?: boolean;
  startOver?: boolean;
  replicatorIqn?: string;
  control?: string;
  metrics?: string;
  replication?: unknown;
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
  const allowed = ['listen', 'logLevel', 'advertise', 'targets', 'role', 'replicationMode', 'sync', 'startOver', 'replicatorIqn', 'control', 'metrics', 'replication'];
  for (const key of Object.keys(json)) {
    if (!allowed.includes(key)) throw new UsageError(`--config ${path}: unknown key "${key}" (allowed: ${allowed.join(', ')})`);
  }
  if (json.listen !== undefined && !isStringArray(json.listen)) throw new UsageError(`--config ${path}: "listen" must be an array of "HOST:PORT" strings`);
  if (json.logLevel !== undefined && typeof json.logLevel !== 'string') throw new UsageError(`--config ${path}: "logLevel" must be a string`);
  if (json.advertise !== undefined && typeof json.advertise !== 'string') throw new UsageError(`--config ${path}: "advertise" must be a string`);
  if (json.targets !== undefined && !Array.isArray(json.targets)) throw new UsageError(`--config ${path}: "targets" must be an array`);
  for (const key of ['role', 'replicationMode', 'replicatorIqn', 'control', 'metrics']) {
    if (json[key] !== undefined && typeof json[key] !== 'string') throw new UsageError(`--config ${path}: "${key}" must be a string`);
  }
  for (const key of ['sync', 'startOver']) {
    if (json[key] !== undefined && typeof json[key] !== 'boolean') throw new UsageError(`--config ${path}: "${key}" must be true or false`);
  }
  return json as ConfigFile;
}

function targetFromConfig(raw: unknown, where: string): TargetConfig {
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

/** A LUN entry: the --lun string form, or `{path, size, readOnly, blockSize, removable, replica, mode, sync}`. */
function lunFromConfig(raw: unknown, where: string): LunConfig {
  if (typeof raw === 'string') return parseLun(raw);
  if (!isObject(raw)) throw new UsageError(`--config: ${where} must be a "PATH[,size=..]" string or an object`);
  const allowed = ['path', 'size', 'readOnly', 'blockSize', 'removable', 'replica', 'mode', 'sync'];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new UsageError(`--config: ${where} has unknown key "${key}" (allowed: ${allowed.join(', ')})`);
  }
  if (typeof raw.path !== 'string' || raw.path === '') throw new UsageError(`--config: ${where}.path must be a non-empty string`);
  const lun: LunConfig = { path: raw.path, readOnly: false, blockSize: 512 };
  if (raw.size !== undefined) {
    if (typeof raw.size === 'number' && Number.isSafeInteger(raw.size) && raw.size > 0) lun.size = raw.size;
    else if (typeof raw.size === 'string') lun.size = parseSize(raw.size, `${where}.size`);
    else throw new UsageError(`--config: ${where}.size must be a byte count or a size such as "1G"`);
  }
  for (const key of ['readOnly', 'removable', 'sync'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean') throw new UsageError(`--config: ${where}.${key} must be true or false`);
  }
  if (raw.readOnly === true) lun.readOnly = true;
  if (raw.removable === true) lun.removable = true;
  if (raw.blockSize !== undefined) {
    if (raw.blockSize !== 512 && raw.blockSize !== 4096) throw new UsageError(`--config: ${where}.blockSize must be 512 or 4096`);
    lun.blockSize = raw.blockSize;
  }
  if (raw.replica !== undefined) {
    if (typeof raw.replica !== 'string') throw new UsageError(`--config: ${where}.replica must be an iscsi:// URL string`);
    lun.replica = raw.replica;
  }
  if (raw.mode !== undefined) {
    if (typeof raw.mode !== 'string') throw new UsageError(`--config: ${where}.mode must be one of ${REPLICATION_MODES.join(', ')}`);
    checkMode(raw.mode, `--config: ${where}.mode`);
    lun.replicationMode = raw.mode as LunConfig['replicationMode'];
  }
  if (raw.sync !== undefined) lun.sync = raw.sync as boolean;
  if ((lun.replicationMode !== undefined || lun.sync !== undefined) && lun.replica === undefined) {
    throw new UsageError(`--config: ${where} sets mode/sync without a "replica"`);
  }
  if (lun.size !== undefined && lun.size % lun.blockSize !== 0) {
    throw new UsageError(`--config: ${where}: size ${lun.size} is not a multiple of the block size ${lun.blockSize}`);
  }
  return lun;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}
