import { testTempDir } from '../support/test-temp-dir.js';

/** A fresh metadata directory for a replicated device, removed when the calling test finishes. */
export function tempMetaDir(): string {
  return testTempDir('repl');
}
