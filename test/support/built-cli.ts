/** The built CLI (dist/cli/main.js) as a user runs it: its exit code and stderr. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

export const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

export async function tandem(...args: string[]): Promise<{ code: number; stderr: string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  try {
    await promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 20_000 });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}
