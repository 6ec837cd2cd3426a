/**
 * A --control path longer than a Unix socket address holds (107 bytes on Linux) is a usage
 * error naming the limit (one line, exit 2), before anything is bound: Node binds such a path
 * truncated, leaving a stray socket under another name, then failed on chmod, ENOENT, exit 1.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

it('tandem serve --control with a path too long for a socket: one line naming the limit, exit 2, no stray socket', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-longpath-'));
  const long = join(dir, 'a'.repeat(120));
  const port = 13000 + Math.floor(Math.random() * 2000);
  const { code, stderr } = await tandem('serve', '--lun', `${join(dir, 'd.img')},size=1M`, '--listen', `127.0.0.1:${port}`, '--control', join(long, 'c.sock'), '--log-level', 'warn');
  expect(stderr).not.toMatch(/ENOENT/);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(code).toBe(2);
  // Nothing but what the test made (the image and its metadata may be cleaned up or not; no socket).
  const stray = readdirSync(dir).filter((n) => n.startsWith('aaaa') && n.length < 120);
  expect(stray).toEqual([]);
});
