/** A settings file whose mode or flavour is not one `tandem mode set` writes stops the open with one line naming the choices. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SETTINGS_FILE, SettingsFileError, loadPersistedSettings, persistMode } from '../../src/replication/control/persisted-settings.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function metaDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tandem-settings-'));
  dirs.push(d);
  return d;
}

it('reads back a mode set, and refuses a mode or flavour it does not know', async () => {
  const dir = metaDir();
  await persistMode(dir, 'continuous', 'sync');
  await persistMode(dir, 'delta', undefined);
  expect(await loadPersistedSettings(dir)).toMatchObject({ mode: 'delta', flavour: 'sync' });

  writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ mode: 'fast' }));
  await expect(loadPersistedSettings(dir)).rejects.toThrow(new SettingsFileError(join(dir, SETTINGS_FILE), '"mode" must be one of continuous, delta, auto'));
  writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ flavour: 'semi' }));
  await expect(loadPersistedSettings(dir)).rejects.toThrow(/"flavour" must be one of sync, async/);
});
