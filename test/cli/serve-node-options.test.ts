/**
 * `tandem serve` runs with the V8 options of src/cli/node-options.ts however it is started:
 * the installed command (main.ts's shebang, kept by the build), `npm start`, and the
 * targets the benches and the test harness start. Each place names them itself (a shebang
 * cannot import), so this test keeps them in step; and a Node started the way the shebang
 * says gets the young generation asked for.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SERVE_NODE_OPTIONS } from '../../src/cli/node-options.js';
import { packageRoot } from '../../src/util/package-root.js';

const root = packageRoot(import.meta.url);
const firstLine = (path: string): string => readFileSync(join(root, path), 'utf8').split('\n')[0]!;

describe('the V8 options of tandem serve', () => {
  it('are in the shebang of the source and of the build', () => {
    const shebang = `#!/usr/bin/env -S node ${SERVE_NODE_OPTIONS.join(' ')}`;
    expect(firstLine('src/cli/main.ts')).toBe(shebang);
    expect(firstLine('dist/cli/main.js')).toBe(shebang);
  });

  it('are in npm start', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${SERVE_NODE_OPTIONS.join(' ')} dist/cli/main.js serve`);
  });

  it('give a Node started with them 8 MiB semi-spaces (16 MiB of young generation at most)', async () => {
    const script = "const v8 = require('node:v8'); let k = []; for (let i = 0; i < 2e6; i++) { k.push({ i }); if (k.length > 1e5) k = []; } console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)";
    const grown = async (options: readonly string[]) => Number((await promisify(execFile)(process.execPath, [...options, '-e', script])).stdout);
    expect(await grown(SERVE_NODE_OPTIONS)).toBeLessThanOrEqual(16 * 1024 * 1024);
    // Without them the same allocations grow it past that: the check can fail.
    expect(await grown([])).toBeGreaterThan(16 * 1024 * 1024);
  });
});
