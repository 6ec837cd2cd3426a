/**
 * As no flag takes an empty value (`--control ""` is a usage error), a config file's
 * `"control": ""` is one too, not "unset" (a plain target started with no control socket, a
 * --role node fell back to ./data/tandem.sock). The config file takes "the same settings".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { UsageError } from '../../src/util/usage-error.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

it('a config file with "control": "" is a usage error', () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-cfg-'));
  const config = join(dir, 'tandem.json');
  writeFileSync(config, JSON.stringify({ control: '', targets: [{ iqn: 'iqn.2026-11.io.x:a', luns: [`${join(dir, 'a.img')},size=1M`] }] }));
  expect(() => buildServeSettings({ config })).toThrow(UsageError);
});
