/**
 * `tandem config set` and `tandem mode set` changes, kept in the LUN's metadata directory so
 * they survive a restart: `<image>.tandem/replication-settings.json` holds only the keys set
 * at run time. At open they override the config file and flags (the latest admin decision
 * wins): a node told to mirror synchronously does not come back asynchronous after a crash.
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../../block/atomic-file.js';
import { SPLIT_BRAIN_POLICIES, type SplitBrainPolicy } from '../split-brain-policy.js';
import type { SwitchThresholds } from '../switch-criteria.js';
import { formatRetention, parseRetention, type RetentionPolicy } from '../points/retention.js';
import { isNumericKey, type NumericKey, type Setting } from './settable.js';
import type { ContinuousFlavour, ReplicationMode } from '../status.js';

export const SETTINGS_FILE = 'replication-settings.json';

export interface PersistedSettings {
  thresholds: Partial<SwitchThresholds>;
  deltaIntervalMs?: number;
  pointInterval?: number;
  afterSplitBrain?: SplitBrainPolicy;
  retention?: RetentionPolicy;
  mode?: ReplicationMode;
  flavour?: ContinuousFlavour;
}

type Flat = Partial<Record<NumericKey, number>> & { afterSplitBrain?: SplitBrainPolicy; retention?: RetentionPolicy; mode?: ReplicationMode; flavour?: ContinuousFlavour };

const MODES: readonly ReplicationMode[] = ['continuous', 'delta', 'auto'];
const FLAVOURS: readonly ContinuousFlavour[] = ['sync', 'async'];

export class SettingsFileError extends Error {
  constructor(path: string, why: string) {
    super(`${path}: ${why} (fix or delete the file; it holds the values set with tandem config set)`);
    this.name = 'SettingsFileError';
  }
}

function settingsPath(metaDir: string): string {
  return join(metaDir, SETTINGS_FILE);
}

/** The flat key → value map on disk; SettingsFileError when it is not one. */
async function readFlat(metaDir: string): Promise<Flat> {
  const path = settingsPath(metaDir);
  const bytes = await readFileIfExists(path);
  if (bytes === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new SettingsFileError(path, 'not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SettingsFileError(path, 'expected a JSON object');
  const flat: Flat = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === 'retention') {
      try {
        flat.retention = parseRetention(String(value));
      } catch (e) {
        throw new SettingsFileError(path, `retention: ${(e as Error).message}`);
      }
      continue;
    }
    if (key === 'afterSplitBrain') {
      flat.afterSplitBrain = oneOf(path, key, value, SPLIT_BRAIN_POLICIES);
      continue;
    }
    if (key === 'mode') {
      flat.mode = oneOf(path, key, value, MODES);
      continue;
    }
    if (key === 'flavour') {
      flat.flavour = oneOf(path, key, value, FLAVOURS);
      continue;
    }
    if (!isNumericKey(key)) throw new SettingsFileError(path, `unknown key "${key}"`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new SettingsFileError(path, `"${key}" must be a non-negative number`);
    flat[key] = value;
  }
  return flat;
}

/** A value that must be one of `choices` (a policy, a mode); SettingsFileError naming them otherwise. */
function oneOf<T extends string>(path: string, key: string, value: unknown, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(value)) throw new SettingsFileError(path, `"${key}" must be one of ${choices.join(', ')}`);
  return value as T;
}

export async function loadPersistedSettings(metaDir: string): Promise<PersistedSettings> {
  const flat = await readFlat(metaDir);
  const { deltaIntervalMs, pointInterval, afterSplitBrain, retention, mode, flavour, ...thresholds } = flat;
  return {
    thresholds,
    ...(mode !== undefined ? { mode } : {}),
    ...(flavour !== undefined ? { flavour } : {}),
    ...(deltaIntervalMs !== undefined ? { deltaIntervalMs } : {}),
    ...(pointInterval !== undefined ? { pointInterval } : {}),
    ...(afterSplitBrain !== undefined ? { afterSplitBrain } : {}),
    ...(retention !== undefined ? { retention } : {}),
  };
}

/** Records one setting (read, merge, atomic replace). */
export async function persistSetting(metaDir: string, setting: Setting): Promise<void> {
  const flat = await readFlat(metaDir);
  if (setting.key === 'afterSplitBrain') flat.afterSplitBrain = setting.value;
  else if (setting.key === 'retention') flat.retention = setting.value;
  else flat[setting.key] = setting.value;
  await writeFlat(metaDir, flat);
}

/** Records a `tandem mode set` (the flavour only when one was named: it is kept otherwise). */
export async function persistMode(metaDir: string, mode: ReplicationMode, flavour: ContinuousFlavour | undefined): Promise<void> {
  const flat = await readFlat(metaDir);
  flat.mode = mode;
  if (flavour) flat.flavour = flavour;
  await writeFlat(metaDir, flat);
}

async function writeFlat(metaDir: string, flat: Flat): Promise<void> {
  const { retention, ...rest } = flat;
  // The policy is stored as its text, as it is typed.
  const stored = retention ? { ...rest, retention: formatRetention(retention) } : rest;
  await writeFileAtomic(settingsPath(metaDir), `${JSON.stringify(stored, null, 2)}\n`);
}
