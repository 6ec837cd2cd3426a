/**
 * A negative number given as a flag's value is a bad value, not a missing one: yargs takes
 * "-1" as the value, and the one line (exit 2) says "-1" is wrong, not "needs a value".
 */
import { describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

const cases: string[][] = [
  ['verify', '--chunk', '-1', '--control', '/nonexistent/tandem-test/tandem.sock'],
  ['serve', '--max-connections', '-1'],
  ['challenge', 'iscsi://127.0.0.1:1/iqn.2026-11.io.tandem:disk0/0', '--lba', '-1'],
];

describe('a negative value is not "no value"', () => {
  for (const args of cases) {
    it(`tandem ${args.join(' ')}: exit 2, and the line does not say the value is missing`, async () => {
      const { code, stderr } = await tandem(...args);
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).not.toMatch(/needs a value/);
      expect(stderr).toContain('-1');
    });
  }
});
