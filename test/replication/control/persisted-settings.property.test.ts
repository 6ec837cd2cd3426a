/**
 * The run-time settings file (replication-settings.json): after any sequence of `tandem
 * config set` and `tandem mode set` changes recorded for a LUN, loading it gives the last
 * value of each key (a mode set without a flavour keeps the one before), the retention policy
 * included; any file content loads as settings or one SettingsFileError naming the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SETTINGS_FILE, SettingsFileError, loadPersistedSettings, modeChange, persistEverywhere, settingChange, type PersistedSettings } from '../../../src/replication/control/persisted-settings.js';
import { SETTABLE_KEYS, SPLIT_BRAIN_POLICIES, type NumericKey, type Setting } from '../../../src/replication/control/settable.js';

const root = mkdtempSync(join(tmpdir(), 'tandem-settings-prop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => mkdtempSync(join(root, `lun-${dirs++}-`));

const NUMERIC = Object.keys(SETTABLE_KEYS) as NumericKey[];
const count = fc.nat({ max: 999999 });
const setting: fc.Arbitrary<Setting> = fc.oneof(
  fc.record({ key: fc.constantFrom(...NUMERIC), value: fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e9, noNaN: true })) }),
  fc.record({ key: fc.constant('afterSplitBrain' as const), value: fc.constantFrom(...SPLIT_BRAIN_POLICIES) }),
  fc.record({ key: fc.constant('retention' as const), value: fc.record({ last: count, hourly: count, daily: count }).filter((p) => p.last + p.hourly + p.daily > 0) }),
);
const mode = fc.record({ mode: fc.constantFrom('continuous' as const, 'delta' as const, 'auto' as const), flavour: fc.option(fc.constantFrom('sync' as const, 'async' as const), { nil: undefined }) });
const change = fc.oneof(setting.map((s) => ({ setting: s })), mode.map((m) => ({ mode: m })));

/** What loading should give after `changes`, worked out without the file. */
function expected(changes: ReadonlyArray<{ setting: Setting } | { mode: { mode: PersistedSettings['mode']; flavour?: PersistedSettings['flavour'] } }>): PersistedSettings {
  const out: PersistedSettings = { thresholds: {} };
  for (const c of changes) {
    if ('mode' in c) {
      out.mode = c.mode.mode;
      if (c.mode.flavour) out.flavour = c.mode.flavour;
    } else if (c.setting.key === 'afterSplitBrain') out.afterSplitBrain = c.setting.value;
    else if (c.setting.key === 'retention') out.retention = c.setting.value;
    else if (c.setting.key === 'deltaIntervalMs' || c.setting.key === 'pointInterval') out[c.setting.key] = c.setting.value;
    else out.thresholds[c.setting.key] = c.setting.value;
  }
  return out;
}

describe('the run-time settings file', () => {
  it('gives back the last value of each key after any sequence of changes, on every LUN', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(change, { maxLength: 8 }), async (changes) => {
        const luns = [freshDir(), freshDir()];
        for (const c of changes) await persistEverywhere(luns, 'mode' in c ? modeChange(c.mode.mode!, c.mode.flavour) : settingChange(c.setting));
        for (const dir of luns) expect(await loadPersistedSettings(dir)).toEqual(expected(changes));
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a negative number for any numeric key', async () => {
    const dir = freshDir();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...NUMERIC), fc.double({ max: -Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }), async (key, value) => {
        writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ [key]: value }));
        await expect(loadPersistedSettings(dir)).rejects.toThrow(SettingsFileError);
      }),
    );
  });

  it('any content: settings, or one line naming the file', async () => {
    const dir = freshDir();
    const loose = fc.dictionary(fc.oneof(fc.constantFrom(...NUMERIC, 'afterSplitBrain', 'retention', 'mode', 'flavour', '__proto__'), fc.string({ maxLength: 6 })), fc.oneof(fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 12 }), fc.constantFrom('last=2', 'delta', 'sync', 'disconnect', null)), { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 40 }), fc.json({ maxDepth: 2 }), loose.map((o) => JSON.stringify(o))), async (text) => {
        writeFileSync(join(dir, SETTINGS_FILE), text);
        try {
          const s = await loadPersistedSettings(dir);
          for (const v of Object.values(s.thresholds)) expect(v >= 0).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(SettingsFileError);
          expect((e as Error).message).toContain(join(dir, SETTINGS_FILE));
          expect((e as Error).message).not.toContain('\n');
        }
      }),
    );
  });
});
