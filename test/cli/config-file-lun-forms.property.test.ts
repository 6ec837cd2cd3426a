/**
 * A LUN in the --config file may be written as the --lun string or as an object; both forms
 * of the same LUN give the same configuration, and any config file content gives settings
 * or one UsageError line naming what is wrong — never another exception.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { lunOptions, lunPath, lunSpec } from './lun-spec.js';
import { readOrRefuse } from './usage-outcome.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-config-prop-'));
const file = join(dir, 'tandem.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IQN = 'iqn.2026-12.test:config';

function lunOfConfig(lun: unknown) {
  writeFileSync(file, JSON.stringify({ targets: [{ iqn: IQN, luns: [lun] }] }));
  return buildServeSettings({ config: file }).targets[0]!.luns[0];
}

describe('LUNs in the config file', () => {
  it('the string form and the object form of a LUN give the same configuration', () => {
    fc.assert(
      fc.property(lunSpec(false), (l) => {
        const size = l.blocks === undefined ? undefined : l.blocks * l.blockSize;
        const object = { path: l.path, readOnly: l.readOnly, removable: l.removable, encrypt: l.encrypt, direct: l.direct, blockSize: l.blockSize, ...(size === undefined ? {} : { size }) };
        expect(lunOfConfig(object)).toEqual(lunOfConfig([l.path, ...lunOptions(l)].join(',')));
      }),
    );
  });

  it('any content: settings, or one usage line', () => {
    const lunValue = fc.oneof(fc.string({ maxLength: 12 }), fc.record({ path: fc.oneof(lunPath, fc.constant('')), size: fc.oneof(fc.integer({ min: -1, max: 5000 }), fc.constantFrom('1G', 'x')), blockSize: fc.constantFrom(512, 4096, 1000) }, { requiredKeys: [] }));
    const config = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.record({ targets: fc.array(fc.record({ iqn: fc.constantFrom(IQN, 'bad name'), luns: fc.array(lunValue, { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 2 }), listen: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }) }, { requiredKeys: [] }).map((c) => JSON.stringify(c)),
    );
    fc.assert(
      fc.property(config, (text) => {
        writeFileSync(file, text);
        const settings = readOrRefuse(() => buildServeSettings({ config: file }));
        if (settings !== 'refused') expect(settings.targets.length).toBeGreaterThan(0);
      }),
    );
  });
});
