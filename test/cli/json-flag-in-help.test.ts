/**
 * Every client command takes --json ("every command supports --json"), and its --help lists it
 * (the global option that lets `tandem --json status` parse is not hidden: yargs kept a global
 * option's hiding in every command's help, verify's "print one JSON report" included).
 */
import { describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

const commands = ['status', 'sessions', 'points', 'replicate', 'pause', 'resume', 'promote', 'demote', 'switchover', 'resolve', 'probe', 'challenge', 'verify', 'point', 'mode', 'config'];

describe('--json is listed in each command\'s --help', () => {
  for (const command of commands) {
    it(`tandem ${command} --help names --json`, async () => {
      const { code, stdout } = await tandem(command, '--help');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^\s+--json\b/m);
    });
  }
});
