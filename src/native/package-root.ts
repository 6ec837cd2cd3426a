import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root: the nearest directory above the module at `moduleUrl` that holds
 * package.json. Modules run from src/ (vitest), dist/ (the product's build) and
 * dist-tools/src/ (the tools' build, one level deeper), so no fixed number of `..` fits all.
 *
 * It lives here, below util, because the addon loader needs it and src/native imports no
 * other module (util imports native for CRC32C); everyone else takes it from
 * src/util/package-root.ts.
 */
export function packageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
  return dir;
}
