import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testTempDir } from '../support/test-temp-dir.js';

/** The path of a config file serving `luns` (string or object forms) on one target; removed when the test finishes. */
export function configWithLuns(luns: unknown[]): string {
  const path = join(testTempDir('cfg'), 'tandem.json');
  writeFileSync(path, JSON.stringify({ targets: [{ iqn: 'iqn.2026-11.io.tandem:cfg', luns }] }));
  return path;
}
