/**
 * `tandem point create --to FILE` is refused as expose|unexpose|restore refuse --to ("takes no
 * --to (only export does)"), before any server is contacted: a user who meant export must not
 * get a new point instead, exit 0.
 */
import { expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

it('tandem point create --to FILE: one line, exit 2, before contacting any server', async () => {
  const { code, stdout, stderr } = await tandem('point', 'create', '--to', '/tmp/tandem-point.img', '--control', '/nonexistent/tandem-test/tandem.sock');
  expect(stdout).toBe('');
  expect(stderr).toBe('tandem: point create takes no --to (only export does)\n');
  expect(code).toBe(2);
});
