/**
 * The failure tests run dist/cli/main.js as child processes: compile first so they test
 * this tree. tsc emits even when some file has type errors; only a missing CLI stops us.
 * TANDEM_SKIP_BUILD=1 skips the compile (CI that already built).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI } from './cluster.js';

export default function setup(): void {
  if (process.env.TANDEM_SKIP_BUILD !== '1') {
    const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { encoding: 'utf8' });
    if (r.status !== 0) process.stderr.write(`failure tests: tsc reported errors (building anyway):\n${r.stdout.slice(0, 4000)}\n`);
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx tsc -p tsconfig.json`);
}
