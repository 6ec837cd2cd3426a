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

/**
 * The admin commands take the same --control and meet the same limit: refused as serve refuses
 * it (one line, exit 2), not "cannot reach the control socket ... no tandem serve is listening
 * there" (exit 1), which sent the user looking for a server that was never the problem.
 */
const ADMIN_COMMANDS: string[][] = [['status'], ['sessions'], ['pause'], ['points'], ['promote', '--force'], ['mode', 'set', 'delta'], ['point', 'create'], ['config', 'set', 'maxRttMs', '300'], ['verify']];

for (const command of ADMIN_COMMANDS) {
  it(`tandem ${command.join(' ')} --control with a path too long for a socket: the serve usage error, exit 2`, async () => {
    const long = join(tmpdir(), 'a'.repeat(120), 'c.sock');
    const { code, stdout, stderr } = await tandem(...command, '--control', long);
    expect(stdout).toBe('');
    expect(stderr).toBe(`tandem: --control: the path is ${Buffer.byteLength(long)} bytes, longer than the 107 a Unix socket path holds (use a shorter one)\n`);
    expect(code).toBe(2);
  });
}
