/**
 * `tandem verify --depth N` is checked on the command line in the control form too (no
 * --source/--replica): misuse is a usage error, exit 2, whether or not a server is running
 * (not "cannot reach the control socket", exit 3), as config set checks its value locally.
 */
import { describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

describe('tandem verify --control with a bad --depth', () => {
  for (const depth of ['0', 'abc', '1.5']) {
    it(`--depth ${depth}: usage error, exit 2, even with no server`, async () => {
      const { code, stdout, stderr } = await tandem('verify', '--depth', depth, '--control', '/nonexistent/tandem-test/tandem.sock');
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^tandem: --depth: .* is not a positive integer\n$/);
      expect(code).toBe(2);
    });
  }
});
