/**
 * `tandem config set` and `tandem mode set` changes, kept in the LUN's metadata directory so
 * they survive a restart: `<image>.tandem/replication-settings.json` holds only the keys set
 * at run time. At open they override the config file and flags (the latest admin decision
 * wins): a node told to mirror synchronously does not come back asynchronous after a crash.
 */
import { dirname, join } from 'node:path';
import { fsyncDir, readFileIfExists, writeFileAtomic } from '../../block/atomic-file.js';
import { nodeFiles, type DurableFiles } from '../../block/durable-file.js';
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

export type Flat = Partial<Record<NumericKey, number>> & { afterSplitBrain?: SplitBrainPolicy; retention?: RetentionPolicy; mode?: ReplicationMode; flavour?: ContinuousFlavour };

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
  return parseFlat(path, await readFileIfExists(path));
}

function parseFlat(path: string, bytes: Buffer | undefined): Flat {
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

/** A change to the settings kept for a LUN. */
export type SettingsChange = (flat: Flat) => void;

/** One setting recorded (`tandem config set`). */
export function settingChange(setting: Setting): SettingsChange {
  return (flat) => {
    if (setting.key === 'afterSplitBrain') flat.afterSplitBrain = setting.value;
    else if (setting.key === 'retention') flat.retention = setting.value;
    else flat[setting.key] = setting.value;
  };
}

/** A `tandem mode set` recorded (the flavour only when one was named: it is kept otherwise). */
export function modeChange(mode: ReplicationMode, flavour: ContinuousFlavour | undefined): SettingsChange {
  return (flat) => {
    flat.mode = mode;
    if (flavour) flat.flavour = flavour;
  };
}

/** Records a `tandem mode set`. */
export async function persistMode(metaDir: string, mode: ReplicationMode, flavour: ContinuousFlavour | undefined): Promise<void> {
  await persistEverywhere([metaDir], modeChange(mode, flavour));
}

/**
 * Records `change` in the settings of every one of `metaDirs` (one per LUN), or of none:
 * every file is read and checked before any is written, and a failed write puts back those
 * written before it. Otherwise a `tandem config set` over several LUNs that failed on the
 * second would bring the first back from a restart with the new value and the second with
 * the old one.
 */
export async function persistEverywhere(metaDirs: readonly string[], change: SettingsChange, files: DurableFiles = nodeFiles): Promise<void> {
  const before: Array<{ path: string; bytes: Buffer | undefined }> = [];
  const after: Flat[] = [];
  for (const dir of metaDirs) {
    const path = settingsPath(dir);
    const bytes = await readFileIfExists(path, files);
    const flat = parseFlat(path, bytes);
    change(flat);
    before.push({ path, bytes });
    after.push(flat);
  }
  for (let i = 0; i < before.length; i++) {
    try {
      await writeFileAtomic(before[i]!.path, formatFlat(after[i]!), files);
    } catch (e) {
      // The one that failed may have been replaced all the same (its directory sync failed): it is put back too.
      const notPutBack = await putBack(before.slice(0, i + 1), files);
      const left = notPutBack.length > 0 ? `; not put back: ${notPutBack.join(', ')}` : '; nothing changed';
      throw new Error(`${(e as Error).message}${left}`, { cause: e });
    }
  }
}

/** Each file as it was (absent: removed); the paths it failed for. */
async function putBack(written: ReadonlyArray<{ path: string; bytes: Buffer | undefined }>, files: DurableFiles): Promise<string[]> {
  const failed: string[] = [];
  for (const { path, bytes } of written) {
    try {
      if (bytes !== undefined) await writeFileAtomic(path, bytes, files);
      else {
        await files.unlink(path).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        await fsyncDir(dirname(path), files);
      }
    } catch {
      failed.push(path);
    }
  }
  return failed;
}

function formatFlat(flat: Flat): string {
  const { retention, ...rest } = flat;
  // The policy is stored as its text, as it is typed.
  const stored = retention ? { ...rest, retention: formatRetention(retention) } : rest;
  return `${JSON.stringify(stored, null, 2)}\n`;
}
