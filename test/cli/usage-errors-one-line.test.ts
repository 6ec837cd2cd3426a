/**
 * A CLI misuse prints one line, "tandem: ...", and exits 2 — yargs' own messages included
 * (an invalid choice came out over two lines), with a pointer to the command's help where
 * the message alone does not say what was expected. The built CLI, as a user runs it.
 * `--json` may come before the command (it was taken for a value: "name a command").
 */
import { describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

const misuses: Array<[string[], RegExp]> = [
  [['mode', 'set', 'bogus'], /^tandem: Invalid values: Argument: mode, Given: "bogus", Choices: "continuous", "delta", "auto" \(see tandem mode --help\)$/],
  [['mode'], /^tandem: Not enough non-option arguments: .* \(see tandem mode --help\)$/],
  [['serve', '--bogus'], /^tandem: Unknown argument: bogus \(see tandem serve --help\)$/],
  [['verify', '--algorithm', 'md5'], /^tandem: Invalid values: .*"md5".* \(see tandem verify --help\)$/],
  [['frobnicate'], /^tandem: Unknown argument: frobnicate$/],
  [[], /^tandem: name a command, such as serve \(tandem --help lists them\)$/],
  [['serve', '--json'], /^tandem: serve takes no --json: it logs JSON lines \(tandem status --json reports on a running one\)$/],
];

describe('tandem misused', () => {
  for (const [args, line] of misuses) {
    it(`tandem ${args.join(' ')}: one line, exit 2`, async () => {
      const { code, stderr } = await tandem(...args);
      expect(code).toBe(2);
      expect(stderr.endsWith('\n')).toBe(true);
      const lines = stderr.slice(0, -1).split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(line);
    });
  }
});

it('tandem --json status: --json before the command is --json, not a command missing', async () => {
  const { code, stderr } = await tandem('--json', 'status', '--control', '/nonexistent/tandem.sock');
  expect(stderr).not.toContain('name a command');
  expect(stderr).toMatch(/^tandem: cannot reach the control socket \/nonexistent\/tandem.sock/);
  expect(code).not.toBe(0);
});
