/**
 * The replication part of `tandem serve`'s flags and config file: role, replicas and
 * their modes, thresholds and sizes. Each rule fails with one line (UsageError).
 */
import { parseIscsiUrl } from '../initiator/url.js';
import { ChallengeLimits } from '../replica-protocol/index.js';
import { SETTABLE_KEYS, isNumericKey, milliseconds } from '../replication/control/settable.js';
import { MAX_SOCKET_PATH_BYTES } from '../replication/control/protocol.js';
import type { ReplicationRole, ReplicationServerSettings, ReplicationTuning, LunReplicationSettings } from '../replication/settings.js';
import { SPLIT_BRAIN_POLICIES, type SplitBrainPolicy } from '../replication/split-brain-policy.js';
import type { ReplicationMode } from '../replication/status.js';
import type { SwitchThresholds } from '../replication/switch-criteria.js';
import { UsageError } from '../util/usage-error.js';
import { parseSize } from '../util/parse-size.js';
import { parseRetention } from '../replication/points/retention.js';
import { checkName, isObject } from './option-checks.js';
import type { ServeTarget } from './serve-config.js';

export const DEFAULT_REPLICATOR_IQN = 'iqn.2026-11.io.tandem:replicator';
export const DEFAULT_CONTROL_PATH = './data/tandem.sock';
export const REPLICATION_MODES = ['continuous', 'delta', 'auto'] as const;

export interface ReplicationFlags {
  role?: string;
  /** The single LUN's peer (from --lun or the default); on a primary --replica says the same. */
  peer?: string;
  replica?: string;
  replicationMode?: string;
  /** --sync (true) / --async (false). */
  sync?: boolean;
  startOver?: boolean;
  replicatorIqn?: string;
  control?: string;
  /** --threshold KEY=VALUE (repeatable): a switching threshold or deltaIntervalMs. */
  threshold?: string[];
  /** --after-split-brain POLICY: automatic split-brain resolution. */
  afterSplitBrain?: string;
  /** --point-hook CMD: run before and after every recovery point. */
  pointHook?: string;
  /** --point-hook-timeout SECONDS: the bound of each hook run. */
  pointHookTimeout?: string;
}

/** The config file's top-level replication keys. */
export interface ReplicationConfigFile {
  role?: string;
  replicationMode?: string;
  sync?: boolean;
  startOver?: boolean;
  replicatorIqn?: string;
  control?: string;
  pointHook?: string;
  /** Seconds. */
  pointHookTimeout?: number;
  replication?: unknown;
}

export const REPLICATION_CONFIG_KEYS = ['role', 'replicationMode', 'sync', 'startOver', 'replicatorIqn', 'control', 'pointHook', 'pointHookTimeout', 'replication'];
/** Keys of a LUN object in the config file that set up its replication. */
export const LUN_REPLICATION_KEYS = ['peer', 'replica', 'mode', 'sync'];

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
const TUNING_KEYS = ['thresholds', 'chunkSize', 'journalCapacity', 'queueMemory', 'activityExtentSize', 'activityExtents', 'deltaIntervalMs', 'linkTimeoutMs', 'afterSplitBrain', 'pointInterval', 'retention'];
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
    // A resync challenges a chunk as one extent, and a backup takes extents of up to 8 MiB (VPD C0h): larger chunks never resynced.
    if (c < 512 || (c & (c - 1)) !== 0 || c > ChallengeLimits.MAX_EXTENT_BYTES) throw new UsageError(`${where}.chunkSize: ${c} is not a power of two between 512 and 8 MiB`);
    tuning.chunkSize = c;
  }
  if (raw.journalCapacity !== undefined) {
    const j = byteCount(raw.journalCapacity, `${where}.journalCapacity`);
    if (j < MIN_JOURNAL_CAPACITY) throw new UsageError(`${where}.journalCapacity: ${j} is below the minimum of 1 MiB`);
    tuning.journalCapacity = j;
  }
  if (raw.queueMemory !== undefined) {
    const q = byteCount(raw.queueMemory, `${where}.queueMemory`);
    if (q < MIN_JOURNAL_CAPACITY) throw new UsageError(`${where}.queueMemory: ${q} is below the minimum of 1 MiB`);
    tuning.queueMemory = q;
  }
  if (raw.activityExtentSize !== undefined) {
    const e = byteCount(raw.activityExtentSize, `${where}.activityExtentSize`);
    const chunk = tuning.chunkSize ?? 64 * 1024;
    if ((e & (e - 1)) !== 0 || e < chunk || e > 1 << 30) throw new UsageError(`${where}.activityExtentSize: ${e} is not a power of two between the chunk size (${chunk}) and 1 GiB`);
    tuning.activityExtentSize = e;
  }
  if (raw.activityExtents !== undefined) {
    const n = raw.activityExtents;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > 65536) throw new UsageError(`${where}.activityExtents: must be a whole number from 1 to 65536`);
    tuning.activityExtents = n;
  }
  if (raw.deltaIntervalMs !== undefined) tuning.deltaIntervalMs = settableValue('deltaIntervalMs', raw.deltaIntervalMs, `${where}.deltaIntervalMs`);
  if (raw.linkTimeoutMs !== undefined) {
    const t = typeof raw.linkTimeoutMs === 'number' ? raw.linkTimeoutMs : typeof raw.linkTimeoutMs === 'string' ? durationOrNaN(raw.linkTimeoutMs) : NaN;
    if (!Number.isFinite(t) || t < MIN_LINK_TIMEOUT_MS) throw new UsageError(`${where}.linkTimeoutMs: must be a duration of at least ${MIN_LINK_TIMEOUT_MS} ms (e.g. 2000, "2s")`);
    tuning.linkTimeoutMs = t;
  }
  if (raw.afterSplitBrain !== undefined) tuning.afterSplitBrain = splitBrainPolicy(raw.afterSplitBrain, `${where}.afterSplitBrain`);
  if (raw.pointInterval !== undefined) tuning.pointInterval = settableValue('pointInterval', raw.pointInterval, `${where}.pointInterval`);
  if (raw.retention !== undefined) {
    if (typeof raw.retention !== 'string') throw new UsageError(`${where}.retention: must be a string such as "last=8,hourly=24,daily=14"`);
    try {
      tuning.retention = parseRetention(raw.retention);
    } catch (e) {
      throw new UsageError(`${where}.retention: ${(e as Error).message}`);
    }
  }
  return tuning;
}

function splitBrainPolicy(raw: unknown, where: string): SplitBrainPolicy {
  if (typeof raw !== 'string' || !(SPLIT_BRAIN_POLICIES as readonly string[]).includes(raw)) throw new UsageError(`${where}: must be one of ${SPLIT_BRAIN_POLICIES.join(', ')}`);
  return raw as SplitBrainPolicy;
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
    if (!isNumericKey(key)) {
      throw new UsageError(`--threshold: expected KEY=VALUE with KEY one of ${Object.keys(SETTABLE_KEYS).join(', ')}, not "${text}"`);
    }
    const value = settableValue(key, text.slice(i + 1), `--threshold ${key}`);
    if (key === 'deltaIntervalMs') tuning.deltaIntervalMs = value;
    else if (key === 'pointInterval') tuning.pointInterval = value;
    else tuning.thresholds[key as keyof SwitchThresholds] = value;
  }
}

/** The config's `replication` object with --threshold flags on top; checked against the LUNs' block sizes. */
export function tuningSettings(flags: ReplicationFlags, file: ReplicationConfigFile, targets: ServeTarget[]): ReplicationTuning | undefined {
  if (file.replication === undefined && !flags.threshold?.length && flags.afterSplitBrain === undefined) return undefined;
  const tuning = file.replication !== undefined ? parseReplicationTuning(file.replication) : { thresholds: {} };
  if (flags.afterSplitBrain !== undefined) tuning.afterSplitBrain = splitBrainPolicy(flags.afterSplitBrain, '--after-split-brain');
  if (flags.threshold?.length) {
    // A backup with a peer may become the primary: its thresholds apply then.
    const role = flags.role ?? file.role;
    const paired = targets.some((t) => t.luns.some((l) => l.replica !== undefined)) || flags.peer !== undefined || flags.replica !== undefined;
    if (role !== 'primary' && !(role === 'backup' && paired)) throw new UsageError('--threshold only applies with --role primary (or --role backup with a --peer)');
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
 * Role, peers and their modes. Both nodes of a pair name each other: `--peer` (or a LUN's
 * "peer" in the config file); on a primary `--replica` / "replica" say the same. The
 * server-wide --replication-mode / --sync|--async fill in what a LUN's own config entry
 * leaves unset (they apply whenever the LUN is the primary); each rule fails with one line.
 */
export function replicationSettings(flags: ReplicationFlags, file: ReplicationConfigFile, targets: ServeTarget[]): ReplicationServerSettings {
  const roleText = flags.role ?? file.role;
  if (roleText !== undefined && roleText !== 'primary' && roleText !== 'backup') throw new UsageError(`--role: "${roleText}" is not one of primary, backup`);
  const role = roleText as ReplicationRole | undefined;
  const luns = targets.flatMap((t) => t.luns);
  if (flags.replica !== undefined && flags.peer !== undefined && flags.replica !== flags.peer) throw new UsageError('--replica and --peer name the same thing: give one of them');
  if (flags.replica !== undefined && role !== 'primary') throw new UsageError('--replica needs --role primary (both roles take --peer)');
  const peerFlag = flags.peer ?? flags.replica;
  if (peerFlag !== undefined) {
    if (luns.length !== 1) throw new UsageError(`${flags.peer !== undefined ? '--peer' : '--replica'} applies to a single LUN; with several, give each its "peer" in the config file`);
    luns[0]!.replica = peerFlag;
  }
  const modeText = flags.replicationMode ?? file.replicationMode;
  if (modeText !== undefined) checkMode(modeText, '--replication-mode');
  const sync = flags.sync ?? file.sync;
  const startOver = flags.startOver ?? file.startOver ?? false;
  const paired = luns.filter((l) => l.replica !== undefined);
  if (role === undefined && paired.length > 0) throw new UsageError(`a replica (${paired[0]!.path}) needs --role primary (or a peer --role backup)`);
  if (role === 'primary' && paired.length === 0) {
    throw new UsageError('--role primary needs a replica: --replica (or --peer) iscsi://USER:SECRET@HOST:PORT/IQN/LUN, or "peer" on a LUN in the config file');
  }
  // A LUN that can become primary (it has a peer) takes the mirroring settings; others cannot use them.
  if (paired.length === 0) {
    const primaryOnly = [modeText !== undefined && '--replication-mode', sync !== undefined && (sync ? '--sync' : '--async'), startOver && '--start-over'].filter(Boolean);
    if (primaryOnly.length > 0) throw new UsageError(`${primaryOnly.join(', ')} only apply with --role primary or a --peer`);
  }
  // Encrypted LUNs digest nothing natively, so neither verify nor a resync could compare them.
  const encrypted = role === 'backup' ? luns.find((l) => l.encrypt) : paired.find((l) => l.encrypt);
  if (encrypted) throw new UsageError(`LUN ${encrypted.path}: an encrypted LUN cannot be replicated (its challenge digests are not offered)`);
  for (const lun of paired) {
    checkReplicaUrl(lun.replica!, lun.path);
    if (lun.readOnly) throw new UsageError(`LUN ${lun.path}: a read-only LUN cannot be a replication primary (nor a backup that may become one)`);
    lun.replicationMode ??= (modeText as ReplicationMode) ?? 'auto';
    lun.sync ??= sync ?? false;
  }
  const replicatorIqn = checkName(flags.replicatorIqn ?? file.replicatorIqn ?? DEFAULT_REPLICATOR_IQN, '--replicator-iqn');
  const control = flags.control ?? file.control ?? (role ? DEFAULT_CONTROL_PATH : undefined);
  if (control !== undefined) checkControlPath(control);
  const pointHook = flags.pointHook ?? file.pointHook;
  if (pointHook !== undefined && !role) throw new UsageError('--point-hook only applies with --role primary|backup');
  if (pointHook !== undefined && pointHook.trim() === '') throw new UsageError('--point-hook: the command is empty');
  const pointHookTimeoutMs = hookTimeoutMs(flags, file, pointHook);
  return role
    ? { role, replicatorIqn, startOver, control, ...(pointHook !== undefined ? { pointHook } : {}), ...(pointHookTimeoutMs !== undefined ? { pointHookTimeoutMs } : {}) }
    : { control };
}

/**
 * A control socket path a Unix socket address holds, for serve and the admin commands alike:
 * Node binds a longer one truncated, under another name, and a client's connect to it fails
 * with a message that does not say why.
 */
export function checkControlPath(path: string): string {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) throw new UsageError(`--control: the path is ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} a Unix socket path holds (use a shorter one)`);
  return path;
}

/** --point-hook-timeout SECONDS (or "pointHookTimeout" in the config file): a positive number, for a hook that is set. */
function hookTimeoutMs(flags: ReplicationFlags, file: ReplicationConfigFile, pointHook: string | undefined): number | undefined {
  const where = flags.pointHookTimeout !== undefined ? '--point-hook-timeout' : '--config: pointHookTimeout';
  const raw = flags.pointHookTimeout ?? file.pointHookTimeout;
  if (raw === undefined) return undefined;
  // Number('') is 0 and Number(' 5 ') is 5: only a plain decimal is a number of seconds here.
  const seconds = typeof raw === 'number' ? raw : /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`${where}: "${raw}" is not a positive number of seconds`);
  if (pointHook === undefined) throw new UsageError(`${where} only applies with --point-hook`);
  return Math.round(seconds * 1000);
}

export function checkMode(text: string, where: string): void {
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

/** Types of the config file's top-level replication keys. */
export function checkReplicationConfig(json: Record<string, unknown>, path: string): void {
  for (const key of ['role', 'replicationMode', 'replicatorIqn', 'control', 'pointHook']) {
    if (json[key] !== undefined && typeof json[key] !== 'string') throw new UsageError(`--config ${path}: "${key}" must be a string`);
    // As no flag takes an empty value: "" is not "unset" (a "control": "" would silently mean no socket, or the default one).
    if (json[key] === '') throw new UsageError(`--config ${path}: "${key}" is empty`);
  }
  for (const key of ['sync', 'startOver']) {
    if (json[key] !== undefined && typeof json[key] !== 'boolean') throw new UsageError(`--config ${path}: "${key}" must be true or false`);
  }
  if (json.pointHookTimeout !== undefined && typeof json.pointHookTimeout !== 'number') throw new UsageError(`--config ${path}: "pointHookTimeout" must be a number of seconds`);
}

/** A LUN object's `replica`, `mode` and `sync`. */
export function lunReplicationFromConfig(raw: Record<string, unknown>, where: string): LunReplicationSettings {
  const lun: LunReplicationSettings = {};
  if (raw.sync !== undefined && typeof raw.sync !== 'boolean') throw new UsageError(`--config: ${where}.sync must be true or false`);
  for (const key of ['peer', 'replica'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'string') throw new UsageError(`--config: ${where}.${key} must be an iscsi:// URL string`);
  }
  if (raw.peer !== undefined && raw.replica !== undefined && raw.peer !== raw.replica) throw new UsageError(`--config: ${where} has both "peer" and "replica": they name the same thing, give one`);
  const peer = (raw.peer ?? raw.replica) as string | undefined;
  if (peer !== undefined) lun.replica = peer;
  if (raw.mode !== undefined) {
    if (typeof raw.mode !== 'string') throw new UsageError(`--config: ${where}.mode must be one of ${REPLICATION_MODES.join(', ')}`);
    checkMode(raw.mode, `--config: ${where}.mode`);
    lun.replicationMode = raw.mode as ReplicationMode;
  }
  if (raw.sync !== undefined) lun.sync = raw.sync;
  if ((lun.replicationMode !== undefined || lun.sync !== undefined) && lun.replica === undefined) {
    throw new UsageError(`--config: ${where} sets mode/sync without a "replica" (or "peer")`);
  }
  return lun;
}
