/**
 * A small tmpfs of the test's own, for a node's data directory on a disk that fills up.
 * Mounting needs root (CI runs as root): without it the tests skip, saying why, unless
 * TANDEM_REQUIRE_PEERS=1 (CI) makes that a failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallTmpfs {
  dir: string;
  unmount(): void;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** For `describe.skipIf`: true only when the tests cannot mount and are not required to. */
export function skipWithoutTmpfs(): boolean {
  if (isRoot() || process.env.TANDEM_REQUIRE_PEERS === '1') return false;
  console.warn('full-disk tests skipped: mounting a tmpfs needs root; TANDEM_REQUIRE_PEERS=1 makes this a failure');
  return true;
}

export function mountTmpfs(bytes: number): SmallTmpfs {
  if (!isRoot()) throw new Error('mounting a tmpfs needs root, and TANDEM_REQUIRE_PEERS=1 requires the full-disk tests to run');
  const dir = mkdtempSync(join(tmpdir(), 'tandem-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  return {
    dir,
    unmount() {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // Still busy (a child that outlived its test): detach now, freed when it exits.
        execFileSync('umount', ['-l', dir]);
      }
      rmdirSync(dir);
    },
  };
}
