/**
 * An empty positional argument (`tandem probe ""`, `config set maxRttMs ""`) is a usage error
 * naming the argument as the help does (URL, VALUE, KEY, MODE), not a flag that does not exist
 * ("--url needs a value", whose suggested `--url` is then "Unknown argument").
 */
import { describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

const NO_SERVER = '/nonexistent/tandem-test/tandem.sock';
const cases: Array<[string[], string, string]> = [
  [['probe', ''], '--url', 'URL'],
  [['challenge', '', '--lba', '0'], '--url', 'URL'],
  [['config', 'set', 'maxRttMs', '', '--control', NO_SERVER], '--value', 'VALUE'],
  [['config', 'set', '', '5', '--control', NO_SERVER], '--key', 'KEY'],
  [['mode', 'set', '', '--control', NO_SERVER], '--mode', 'MODE'],
];

describe('an empty positional argument', () => {
  for (const [args, phantom, name] of cases) {
    it(`tandem ${args.map((a) => (a === '' ? '""' : a)).join(' ')}: exit 2 without naming a flag ${phantom} that does not exist`, async () => {
      const { code, stderr } = await tandem(...args);
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).not.toContain(phantom);
      expect(stderr).toBe(`tandem: the ${name} argument is empty\n`);
    });
  }
});
