import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A fresh temp directory, removed when the calling test finishes. For helpers called from a
 * test's body: an `afterEach` registered there never runs (every run left its directories in /tmp).
 */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tandem-${prefix}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
