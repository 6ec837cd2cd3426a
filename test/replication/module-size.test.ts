/**
 * The structure rule of the replication engine: one concern per file, none over 400 lines
 * (a file that grows past it is a part wanting a name of its own).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../src/replication', import.meta.url).pathname;
const MAX_LINES = 400;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('src/replication', () => {
  it(`has no file over ${MAX_LINES} lines`, () => {
    const files = sources(ROOT);
    expect(files.length).toBeGreaterThan(20);
    const over = files
      .map((f) => ({ file: relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > MAX_LINES);
    expect(over).toEqual([]);
  });
});
