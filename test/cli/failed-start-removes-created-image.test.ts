/**
 * A serve whose start fails after it created a LUN's image (the control path taken, the port in
 * use) takes that image away again, with the metadata directory and the directories it made for
 * them: the default LUN left a 1 GiB ./data/disk0.img behind after `tandem serve --control FILE`.
 * An image that was there before is never removed, nor changed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { CLI } from '../support/built-cli.js';

let dir: string | undefined;
let busy: Server | undefined;
afterEach(async () => {
  await new Promise<void>((done) => (busy ? busy.close(() => done()) : done()));
  busy = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The built CLI run in `cwd` (the default LUN is ./data/disk0.img there). */
function serveIn(cwd: string, ...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, 'serve', '--log-level', 'silent', ...args], { cwd, timeout: 20_000 }, (e, _stdout, stderr) => {
      done({ code: e ? (e as { code: number }).code : 0, stderr });
    });
  });
}

/** A port held open, so that serve's listen fails. */
async function portInUse(): Promise<number> {
  busy = createServer();
  await new Promise<void>((done) => busy!.listen(0, '127.0.0.1', done));
  return (busy.address() as { port: number }).port;
}

it('the default LUN, then a --control path that is a regular file: exit 1 and no ./data left', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-created-'));
  writeFileSync(join(dir, 'taken'), 'not a socket');
  const { code, stderr } = await serveIn(dir, '--listen', '127.0.0.1:0', '--control', 'taken');
  expect(stderr).toMatch(/^tandem: control socket taken is a regular file/);
  expect(code).toBe(1);
  expect(readdirSync(dir)).toEqual(['taken']);
  expect(readFileSync(join(dir, 'taken'), 'utf8')).toBe('not a socket');
});

it('a port in use: the new image, its metadata directory and the directory made for it are removed', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-created-'));
  const port = await portInUse();
  const { code, stderr } = await serveIn(dir, '--lun', `${join(dir, 'new', 'deeper', 'd.img')},size=1M`, '--listen', `127.0.0.1:${port}`);
  expect(stderr).toMatch(/EADDRINUSE/);
  expect(code).toBe(1);
  expect(readdirSync(dir)).toEqual([]);
});

it('a port in use: an image that was there before is kept as it was; the LUN created with it is removed', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-created-'));
  const old = join(dir, 'old.img');
  const content = Buffer.alloc(1024 * 1024, 0x5a);
  writeFileSync(old, content);
  const port = await portInUse();
  const { code } = await serveIn(dir, '--lun', old, '--lun', `${join(dir, 'new.img')},size=1M`, '--listen', `127.0.0.1:${port}`);
  expect(code).toBe(1);
  expect(readFileSync(old).equals(content)).toBe(true);
  expect(existsSync(join(dir, 'new.img'))).toBe(false);
  // Both metadata directories were made by this start (old.img had none).
  expect(readdirSync(dir)).toEqual(['old.img']);
});
