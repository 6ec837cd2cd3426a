/**
 * The guest kernel and initramfs, built once by build-image.sh and cached under
 * .cache/e2e/<hash of the build inputs>/ so later runs boot straight away.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');
const buildInputs = ['build-image.sh', 'init.sh', 'iscsid.conf', 'multipath.conf'];
/** Debian packages whose files end up in the initramfs. */
const guestPackages = ['open-iscsi', 'sg3-utils', 'e2fsprogs', 'fio', 'busybox-static', 'util-linux', 'multipath-tools', 'udev', 'dmsetup'];

export interface GuestImage {
  kernel: string;
  initrd: string;
}

/** Debian's current 6.1 kernel: what the linux-image-amd64 metapackage points at. */
export function kernelPackage(): string {
  const pinned = process.env.E2E_KERNEL_PACKAGE;
  if (pinned) return pinned;
  const r = spawnSync('apt-cache', ['depends', 'linux-image-amd64'], { encoding: 'utf8' });
  const name = /Depends:\s*(linux-image-[\w.-]+-amd64)\b/.exec(r.stdout ?? '')?.[1];
  if (!name) throw new Error('cannot resolve linux-image-amd64 (run test/e2e/install-deps.sh, which runs apt-get update)');
  return name;
}

function installedVersions(): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Package}=${Version}\\n', ...guestPackages], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`guest packages missing, run test/e2e/install-deps.sh: ${r.stderr}`);
  return r.stdout;
}

export function imageKey(kpkg: string): string {
  const h = createHash('sha256');
  for (const f of buildInputs) h.update(f).update(readFileSync(join(here, f)));
  h.update(kpkg).update(installedVersions());
  return h.digest('hex').slice(0, 16);
}

/** Returns the cached image, building it first when its inputs changed. */
export function ensureImage(): GuestImage {
  const kpkg = kernelPackage();
  const dir = join(repoRoot, '.cache', 'e2e', imageKey(kpkg));
  const image = { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.cpio') };
  if (existsSync(image.kernel) && existsSync(image.initrd)) return image;
  const r = spawnSync('bash', [join(here, 'build-image.sh'), dir, kpkg], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the guest image failed:\n${r.stderr}${r.stdout}`);
  return image;
}
