import { expect } from 'vitest';
import { UsageError } from '../../src/util/usage-error.js';

/**
 * Runs a CLI value parser: its result, or 'refused' when it threw a UsageError of one line
 * (what the user sees). Any other exception fails the calling test.
 */
export function readOrRefuse<T>(parse: () => T): T | 'refused' {
  try {
    return parse();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).not.toContain('\n');
    return 'refused';
  }
}
