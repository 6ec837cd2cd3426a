/** Temporary files for native tests, removed with their directory afterwards. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { native } from '../../src/native/index.js';

export function makeTempDir(prefix: string): { dir: string; file(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `tandem-${prefix}-`));
  return {
    dir,
    file: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A sparse image of `size` bytes in a temporary directory, open for the enclosing describe
 * block's tests (`fd` inside them), closed and removed after them; `path` for a second opener.
 */
export function openTempImage(prefix: string, size: number): { readonly fd: number; readonly path: string } {
  const temp = makeTempDir(prefix);
  const path = temp.file('image');
  let fd = -1;
  beforeAll(() => {
    fd = native.open(path, { create: size }).fd;
  });
  afterAll(() => {
    native.close(fd);
    temp.remove();
  });
  return {
    get fd() {
      return fd;
    },
    path,
  };
}
