/**
 * The keys `tandem config set KEY VALUE` accepts: the switching thresholds, the delta
 * interval and the split-brain policy. Shared by the client (to fail fast, exit 2) and
 * the server (the authority).
 */
import { parseSize } from '../../util/parse-size.js';
import { SPLIT_BRAIN_POLICIES, parseSplitBrainPolicy, type SplitBrainPolicy } from '../split-brain-policy.js';
import type { SwitchThresholds } from '../switch-criteria.js';
import { formatRetention, parseRetention, type RetentionPolicy } from '../points/retention.js';

/** Keys whose value is a number (a threshold, a duration, a rate). */
export type NumericKey = keyof SwitchThresholds | 'deltaIntervalMs' | 'pointInterval';
export type SettableKey = NumericKey | 'afterSplitBrain' | 'retention';
export type Setting = { key: NumericKey; value: number } | { key: 'afterSplitBrain'; value: SplitBrainPolicy } | { key: 'retention'; value: RetentionPolicy };

interface KeySpec {
  describe: string;
  parse(text: string): number;
  /** The parsed value's unit, as `tandem config set` prints it back. */
  unit?: 'ms' | 'bytes/s';
}

export function milliseconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new RangeError(`"${text}" is not a duration (e.g. 250, 250ms, 10s, 1m)`);
  const scale = m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1;
  return Number(m[1]) * scale;
}

function positiveNumber(text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || text.trim() === '') throw new RangeError(`"${text}" is not a positive number`);
  return v;
}

function byteRateOrZero(text: string): number {
  return text.trim() === '0' ? 0 : bytesPerSecond(text);
}

function fraction(text: string): number {
  const v = positiveNumber(text);
  if (v > 1) throw new RangeError(`"${text}" is not a fraction in (0, 1]`);
  return v;
}

function bytesPerSecond(text: string): number {
  try {
    return parseSize(text.replace(/\/s$/, ''), 'value');
  } catch {
    throw new RangeError(`"${text}" is not a byte rate (e.g. 67108864, 64MiB, 64M/s)`);
  }
}

export const SETTABLE_KEYS: Readonly<Record<NumericKey, KeySpec>> = {
  maxRttMs: { describe: 'ping round trip above which auto/continuous leave for delta (ms)', parse: milliseconds, unit: 'ms' },
  maxWriteLatencyMs: { describe: 'durable remote-write latency limit (ms)', parse: milliseconds, unit: 'ms' },
  maxNetInflowBytesPerSec: { describe: 'journal inflow minus flush rate limit (bytes/s)', parse: bytesPerSecond, unit: 'bytes/s' },
  maxJournalFill: { describe: 'journal fill fraction limit (0-1)', parse: fraction },
  maxRedundancy: { describe: 'continuous bytes / delta bytes limit', parse: positiveNumber },
  healthyForMs: { describe: 'healthy link time before delta returns to continuous (ms)', parse: milliseconds, unit: 'ms' },
  lowTrafficBytesPerSec: { describe: 'delta mode: host write rate at or below which a pass runs early (bytes/s; 0 never)', parse: byteRateOrZero, unit: 'bytes/s' },
  lowTrafficForMs: { describe: 'delta mode: how long host writes stay that low before the early pass (ms)', parse: milliseconds, unit: 'ms' },
  deltaIntervalMs: { describe: 'delta mode: time between passes (ms)', parse: milliseconds, unit: 'ms' },
  pointInterval: { describe: 'a recovery point of each target every (ms; 0: none)', parse: milliseconds, unit: 'ms' },
};

/** Every key, for messages: the numeric ones, then the split-brain policy. */
export const ALL_SETTABLE_KEYS: readonly SettableKey[] = [...(Object.keys(SETTABLE_KEYS) as NumericKey[]), 'afterSplitBrain', 'retention'];

export function isNumericKey(key: string): key is NumericKey {
  return Object.prototype.hasOwnProperty.call(SETTABLE_KEYS, key);
}

export function isSettableKey(key: string): key is SettableKey {
  return isNumericKey(key) || key === 'afterSplitBrain' || key === 'retention';
}

export class UnknownKeyError extends Error {
  constructor(key: string) {
    super(`unknown key "${key}" (settable: ${ALL_SETTABLE_KEYS.join(', ')})`);
    this.name = 'UnknownKeyError';
  }
}

/** The key and its value; UnknownKeyError or RangeError (bad value) otherwise. */
export function parseSetting(key: string, value: string): Setting {
  if (key === 'afterSplitBrain') return { key, value: parseSplitBrainPolicy(value.trim()) };
  if (key === 'retention') return { key, value: parseRetention(value.trim()) };
  if (!isNumericKey(key)) throw new UnknownKeyError(key);
  return { key, value: SETTABLE_KEYS[key].parse(value) };
}

export { SPLIT_BRAIN_POLICIES };

/** A parsed setting as the user reads it back: `5000 ms`, `last=2,hourly=0,daily=0`. */
export function formatSetting(setting: Setting): string {
  if (setting.key === 'retention') return formatRetention(setting.value);
  if (setting.key === 'afterSplitBrain') return setting.value;
  const unit = SETTABLE_KEYS[setting.key].unit;
  return unit ? `${setting.value} ${unit}` : String(setting.value);
}
