/**
 * A LUN image serve cannot create because its directory is not writable is one line naming that
 * directory: it said "EACCES: Permission denied, open (./data/disk0.img)", naming neither the
 * directory nor what serve was doing. Exit 1, as for the other things around the server a start
 * finds wrong (a port in use, an image in use, a control path taken): exit 2 is kept for flags
 * and config the user typed wrong (README: "Bad flags or a bad config file ... exit with code 2").
 * Root writes anywhere: as root the CLI runs as nobody, for whom the directory is unwritable too.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { CLI } from '../support/built-cli.js';

const NOBODY = 65534;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function serveIn(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const asNobody = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
  return new Promise((done) => {
    execFile(process.execPath, [CLI, 'serve', '--log-level', 'silent', ...args], { cwd, timeout: 20_000, ...asNobody }, (e, stdout, stderr) => {
      done({ code: e ? (e as { code: number }).code : 0, stdout, stderr });
    });
  });
}

it('tandem serve with ./data not writable: one line naming the directory, exit 1, nothing created', async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'tandem-rodata-')));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o555 });
  chmodSync(data, 0o555);
  const { code, stdout, stderr } = await serveIn(dir, '--listen', '127.0.0.1:0');
  expect(stdout).toBe('');
  expect(stderr).toBe(`tandem: cannot create the LUN image ./data/disk0.img: the directory ${data} is not writable (EACCES)\n`);
  expect(code).toBe(1);
  expect(readdirSync(data)).toEqual([]);
});

it('tandem serve --lun in a directory it cannot make: names the directory that refused it', async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'tandem-rodata-')));
  chmodSync(dir, 0o755);
  const parent = join(dir, 'ro');
  mkdirSync(parent, { mode: 0o555 });
  chmodSync(parent, 0o555);
  const image = join(parent, 'sub', 'd.img');
  const { code, stderr } = await serveIn(dir, '--lun', `${image},size=1M`, '--listen', '127.0.0.1:0');
  expect(stderr).toBe(`tandem: cannot create the LUN image ${image}: the directory ${parent} is not writable (EACCES)\n`);
  expect(code).toBe(1);
});
