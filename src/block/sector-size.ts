/**
 * The logical sector size of the medium under a file store, and the refusal of O_DIRECT
 * where the LUN's blocks are smaller. O_DIRECT I/O must be aligned to the device's logical
 * sector: on a 4Kn disk (4096-byte sectors) every read or write of one 512-byte LUN block
 * fails with EINVAL, so such a LUN must not be served at all rather than fail its I/O.
 */
import { fstatSync, readFileSync } from 'node:fs';
import type { BlockIoError } from './device.js';
import { blockError } from './errors.js';

/** The sysfs queue directories that may describe device number `dev` (a partition shares its disk's, one directory up). */
export function sysfsQueueDirs(dev: number): string[] {
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff);
  return [`/sys/dev/block/${major}:${minor}/queue`, `/sys/dev/block/${major}:${minor}/../queue`];
}

/**
 * The logical sector size O_DIRECT I/O on `fd` must align to: a block device's own
 * (BLKSSZGET, `blockDeviceSector`), or for a file the one of the block device its file
 * system is on. Undefined when that is not a block device (tmpfs, btrfs' anonymous device
 * numbers, NFS): nothing to check against.
 */
export function mediumSectorSize(fd: number, isBlockDevice: boolean, blockDeviceSector: number): number | undefined {
  if (isBlockDevice) return blockDeviceSector;
  let dev: number;
  try {
    dev = fstatSync(fd).dev;
  } catch {
    return undefined;
  }
  for (const queue of sysfsQueueDirs(dev)) {
    try {
      const size = Number(readFileSync(`${queue}/logical_block_size`, 'utf8').trim());
      if (Number.isInteger(size) && size > 0) return size;
    } catch {
      // try the parent
    }
  }
  return undefined;
}

/** Why a LUN of `blockSize`-byte blocks cannot be served with O_DIRECT on a medium of `sectorSize`-byte sectors, or null. */
export function directBlockSizeRefusal(path: string, blockSize: number, sectorSize: number | undefined): BlockIoError | null {
  if (sectorSize === undefined || blockSize % sectorSize === 0) return null;
  return blockError(
    'EINVAL',
    `${path}: the LUN's ${blockSize}-byte logical blocks cannot be read or written with O_DIRECT (direct) on a medium whose logical sector size is ${sectorSize} bytes: use ${sectorSize}-byte blocks (or a multiple), or open it without direct`,
  );
}
