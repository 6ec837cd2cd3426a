/**
 * A staged commit whose copy onto the backup's image fails half-way (ENOSPC on a thin
 * image, EIO): the COMMIT is durable, the image holds part of the pass. The log must keep
 * the pass until a copy succeeds — a new BEGIN would overwrite it, and the image would stay
 * a mix of two passes for good — so BEGIN, COMMIT and a promotion's settle() copy it again
 * first, and are refused (the copy's error) while that fails. A copy that succeeded but whose
 * log could not be emptied is not copied again: newer data may have reached the image since.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { nodeFiles, type DurableFiles } from '../../src/block/durable-file.js';
import { PassStagingLog } from '../../src/replication/pass-staging-log.js';
import { silentLogger } from './sim-backup.js';

const SIZE = 256 * 1024;
const CHUNK = 64 * 1024;
const root = mkdtempSync(join(tmpdir(), 'tandem-staging-copy-fails-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A backup image whose writes fail (ENOSPC) once `failAfter` more have succeeded. */
class FillingStore extends MemoryBlockStore {
  failAfter: number | undefined;
  override async write(buf: Buffer, offset: number, fua = false): Promise<void> {
    if (this.failAfter !== undefined && this.failAfter-- <= 0) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    return super.write(buf, offset, fua);
  }
}

async function fills(store: MemoryBlockStore): Promise<number[]> {
  const out: number[] = [];
  for (let c = 0; c < SIZE / CHUNK; c++) {
    const b = Buffer.alloc(CHUNK);
    await store.read(b, c * CHUNK);
    out.push(b[0]!);
  }
  return out;
}

/** The previous image all 0x11; pass 1 (chunks 0 and 1 to 0x22) committed, its copy failing after one write. */
async function halfCopied(name: string): Promise<{ dir: string; device: FillingStore; log: PassStagingLog }> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const device = new FillingStore({ size: SIZE });
  await device.write(Buffer.alloc(SIZE, 0x11), 0);
  const log = await PassStagingLog.open({ dir, device, logger: silentLogger });
  await log.begin(1n);
  await log.write(Buffer.alloc(CHUNK, 0x22), 0);
  await log.write(Buffer.alloc(CHUNK, 0x22), CHUNK);
  device.failAfter = 1;
  await expect(log.commit(1n)).rejects.toThrow(/ENOSPC/);
  expect(await fills(device)).toEqual([0x22, 0x11, 0x11, 0x11]); // the mix the log must still repair
  return { dir, device, log };
}

describe('a staged commit whose copy fails half-way', () => {
  it('is copied again before the next pass begins, and the image stays whole across a restart', async () => {
    const { dir, device, log } = await halfCopied('next-begin');
    device.failAfter = undefined; // space freed
    await log.begin(2n);
    expect(await fills(device)).toEqual([0x22, 0x22, 0x11, 0x11]);
    await log.write(Buffer.alloc(CHUNK, 0x33), 3 * CHUNK);
    await log.close();
    // The backup restarts before pass 2 commits: pass 2 is dropped, pass 1 stays.
    const reopened = await PassStagingLog.open({ dir, device, logger: silentLogger });
    expect(reopened.recovery).toBe('discarded');
    expect(await fills(device)).toEqual([0x22, 0x22, 0x11, 0x11]);
    await reopened.close();
  });

  it('refuses a new BEGIN while the copy keeps failing; a restart still finishes it', async () => {
    const { dir, device, log } = await halfCopied('still-full');
    device.failAfter = 0;
    await expect(log.begin(2n)).rejects.toThrow(/ENOSPC/);
    expect(log.openPass).toBeUndefined();
    await log.close();
    device.failAfter = undefined;
    const reopened = await PassStagingLog.open({ dir, device, logger: silentLogger });
    expect(reopened.recovery).toBe('replayed');
    expect(await fills(device)).toEqual([0x22, 0x22, 0x11, 0x11]);
    await reopened.close();
  });

  it('is finished by settle() before the node stops being a backup', async () => {
    const { device, log } = await halfCopied('promotion');
    device.failAfter = undefined;
    await log.settle();
    expect(await fills(device)).toEqual([0x22, 0x22, 0x11, 0x11]);
    await log.close();
  });

  it('is not copied again once its copy succeeded and only emptying the log failed', async () => {
    const dir = join(root, 'empty-fails');
    mkdirSync(dir, { recursive: true });
    let failTruncate = false;
    const files: DurableFiles = {
      ...nodeFiles,
      open: async (path, flags, mode) => {
        const fh = await nodeFiles.open(path, flags, mode);
        const truncate = fh.truncate.bind(fh);
        return Object.assign(fh, {
          truncate: (length: number) => (failTruncate ? Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })) : truncate(length)),
        });
      },
    };
    const device = new FillingStore({ size: SIZE });
    await device.write(Buffer.alloc(SIZE, 0x11), 0);
    const log = await PassStagingLog.open({ dir, device, logger: silentLogger, files });
    let recoveryPoints = 0;
    log.onCommit = () => recoveryPoints++;
    await log.begin(1n);
    await log.write(Buffer.alloc(CHUNK, 0x22), 0);
    failTruncate = true;
    await expect(log.commit(1n)).rejects.toThrow(/EIO/);
    expect(await fills(device)).toEqual([0x22, 0x11, 0x11, 0x11]);
    // The pass reached the image: that is a recovery point, counted once.
    expect(recoveryPoints).toBe(1);
    // Continuous mirroring writes chunk 0 again after the pass.
    await device.write(Buffer.alloc(CHUNK, 0x44), 0);
    failTruncate = false;
    await log.begin(2n);
    expect(await fills(device)).toEqual([0x44, 0x11, 0x11, 0x11]);
    expect(recoveryPoints).toBe(1);
    await log.close();
  });
});
