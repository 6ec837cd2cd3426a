/**
 * yargs parses a number option's non-numeric value as NaN: `--lun abc` said "--lun must be a
 * LUN number (0-16383), not NaN". Every number option (each admin action's --lun, verify's,
 * point's ID) names the value as typed instead: one line, exit 2. No server listens on the
 * socket, so a run that got past the checks would say "cannot reach the control socket", exit 1.
 */
import { describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

const NO_SERVER = '/nonexistent/tandem-test/tandem.sock';

const cases: Array<[string[], string]> = [
  [['pause', '--lun', 'abc'], '--lun: "abc" is not a number'],
  [['demote', '--lun=abc'], '--lun: "abc" is not a number'],
  [['promote', '--force', '--lun', '1x'], '--lun: "1x" is not a number'],
  [['verify', '--lun', 'abc'], '--lun: "abc" is not a number'],
  [['pause', '--lun', '3', '--lun', 'zz'], '--lun: "zz" is not a number'],
  [['point', 'export', 'abc', '--to', '/tmp/tandem-test-x.img'], 'the ID argument "abc" is not a number'],
];

describe('a number option given a value that is no number', () => {
  for (const [args, message] of cases) {
    it(`tandem ${args.join(' ')}: exit 2, ${message}`, async () => {
      const { code, stdout, stderr } = await tandem(...args, '--control', NO_SERVER);
      expect(stdout).toBe('');
      expect(stderr).toBe(`tandem: ${message}\n`);
      expect(stderr).not.toContain('NaN');
      expect(code).toBe(2);
    });
  }
});
