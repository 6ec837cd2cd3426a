/**
 * `tandem serve --control PATH` replaces only a stale *socket* at PATH. Anything else there
 * (a mistyped path, the LUN image itself: `--lun ./data/disk0.img --control ./data/disk0.img`)
 * is refused in one line and left as it was; and at shutdown the server removes only the
 * socket it bound, not whatever has taken that path since.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ControlPathTakenError, startControlServer, type ControlServer } from '../../../src/replication/control/server.js';

let server: ControlServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = dir = undefined;
});

const handler = async () => ({ ok: true as const, result: null });

it('a regular file at the control path is refused, not deleted', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-control-file-'));
  const path = join(dir, 'disk0.img');
  writeFileSync(path, 'precious data');
  const started = startControlServer(path, handler);
  await expect(started).rejects.toThrow(ControlPathTakenError);
  await expect(started).rejects.toThrow(/is a regular file, not a socket/);
  server = await started.catch(() => undefined);
  expect(readFileSync(path, 'utf8')).toBe('precious data');
});

it('a directory at the control path is refused and kept', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-control-dir-'));
  const path = join(dir, 'tandem.sock');
  mkdirSync(path);
  await expect(startControlServer(path, handler)).rejects.toThrow(/is a directory, not a socket/);
  expect(existsSync(path)).toBe(true);
});

it('close() leaves a file that took the socket\'s path since', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-control-own-'));
  const path = join(dir, 'tandem.sock');
  server = await startControlServer(path, handler);
  unlinkSync(path);
  writeFileSync(path, 'someone else\'s');
  await server.close();
  server = undefined;
  expect(readFileSync(path, 'utf8')).toBe('someone else\'s');
});
