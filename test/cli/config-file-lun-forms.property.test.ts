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
import { UsageError } from '../../src/util/usage-error.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-config-prop-'));
const file = join(dir, 'tandem.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IQN = 'iqn.2026-12.test:config';

function lunOfConfig(lun: unknown) {
  writeFileSync(file, JSON.stringify({ targets: [{ iqn: IQN, luns: [lun] }] }));
  return buildServeSettings({ config: file }).targets[0]!.luns[0];
}

const path = fc.stringMatching(/^\/[A-Za-z0-9_./-]{1,24}$/);
const lunSpec = fc.record({
  path,
  readOnly: fc.boolean(),
  removable: fc.boolean(),
  encrypt: fc.boolean(),
  direct: fc.boolean(),
  blockSize: fc.constantFrom(512 as const, 4096 as const),
  blocks: fc.option(fc.integer({ min: 1, max: 1 << 24 }), { nil: undefined }),
});

describe('LUNs in the config file', () => {
  it('the string form and the object form of a LUN give the same configuration', () => {
    fc.assert(
      fc.property(lunSpec, (l) => {
        const size = l.blocks === undefined ? undefined : l.blocks * l.blockSize;
        const text = [
          l.path,
          ...(l.readOnly ? ['readonly'] : []),
          ...(l.removable ? ['removable'] : []),
          ...(l.encrypt ? ['encrypt'] : []),
          ...(l.direct ? ['direct'] : []),
          `blocksize=${l.blockSize}`,
          ...(size === undefined ? [] : [`size=${size}`]),
        ].join(',');
        const object = { path: l.path, readOnly: l.readOnly, removable: l.removable, encrypt: l.encrypt, direct: l.direct, blockSize: l.blockSize, ...(size === undefined ? {} : { size }) };
        expect(lunOfConfig(object)).toEqual(lunOfConfig(text));
      }),
    );
  });

  it('any content: settings, or one usage line', () => {
    const lunValue = fc.oneof(fc.string({ maxLength: 12 }), fc.record({ path: fc.oneof(path, fc.constant('')), size: fc.oneof(fc.integer({ min: -1, max: 5000 }), fc.constantFrom('1G', 'x')), blockSize: fc.constantFrom(512, 4096, 1000) }, { requiredKeys: [] }));
    const config = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.record({ targets: fc.array(fc.record({ iqn: fc.constantFrom(IQN, 'bad name'), luns: fc.array(lunValue, { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 2 }), listen: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }) }, { requiredKeys: [] }).map((c) => JSON.stringify(c)),
    );
    fc.assert(
      fc.property(config, (text) => {
        writeFileSync(file, text);
        try {
          expect(buildServeSettings({ config: file }).targets.length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          expect((e as Error).message).not.toContain('\n');
        }
      }),
    );
  });
});
