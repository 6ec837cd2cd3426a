/**
 * README: "A flag given without its value ... is a usage error for every command, never 'not
 * set'". That holds for the number flags too (--lun of every admin action, verify's --depth):
 * a bare `tandem promote --lun` would otherwise act on EVERY replicated LUN, and `--lun=`
 * parse as LUN 0. No server listens on the socket, so a run that got past the parser would
 * say "cannot reach the control socket", exit 1 (3 for verify), not 2.
 */
import { describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

const NO_SERVER = '/nonexistent/tandem-test/tandem.sock';

const cases: Array<[string[], string]> = [
  [['promote', '--force', '--lun'], '--lun'],
  [['demote', '--lun', '--control', NO_SERVER], '--lun'],
  [['pause', '--lun=', '--control', NO_SERVER], '--lun'],
  [['point', 'export', '1', '--to', '/tmp/x.img', '--lun', '--control', NO_SERVER], '--lun'],
  [['mode', 'set', 'delta', '--lun', '--control', NO_SERVER], '--lun'],
  [['verify', '--depth', '--control', NO_SERVER], '--depth'],
];

describe('a number flag given without its value is a usage error', () => {
  for (const [args, flag] of cases) {
    it(`tandem ${args.join(' ')}: exit 2, "${flag} needs a value"`, async () => {
      const withSocket = args.includes('--control') ? args : [...args, '--control', NO_SERVER];
      const { code, stdout, stderr } = await tandem(...withSocket);
      expect(stdout).toBe('');
      expect(stderr).toBe(`tandem: ${flag} needs a value\n`);
      expect(code).toBe(2);
    });
  }
});
