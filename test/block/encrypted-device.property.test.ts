/**
 * An encrypted LUN's store (`encrypt`): whatever mix of writes, discards and key changes,
 * reads return what was written since the last key change (and zeroes where nothing was, or
 * where it was discarded); what was written before a key change never reads back; the store
 * underneath never holds a written non-zero sector in the clear; the key survives a reopen.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockIoError } from '../../src/block/device.js';
import { EncryptedDevice, SECTOR } from '../../src/block/encrypted-device.js';
import { MEDIA_KEY_FILE, MediaKey } from '../../src/block/media-key.js';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { afterAll } from 'vitest';
import { makeTempDir } from './temp-dir.js';

const temps: Array<{ remove(): void }> = [];
afterAll(() => temps.splice(0).forEach((t) => t.remove()));
function tempDir(): string {
  const t = makeTempDir('encrypted');
  temps.push(t);
  return t.dir;
}

const SECTORS = 32;

type Op = { kind: 'write'; sector: number; count: number; fill: number } | { kind: 'discard'; unit: number } | { kind: 'rotate' };

const op = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), sector: fc.nat(SECTORS - 1), count: fc.integer({ min: 1, max: 4 }), fill: fc.integer({ min: 0, max: 255 }) }),
  // Discards go in 4 KiB units (as the stores deallocate).
  fc.record({ kind: fc.constant('discard' as const), unit: fc.nat(SECTORS / 8 - 1) }),
  fc.constant({ kind: 'rotate' as const }),
);

describe('EncryptedDevice', () => {
  it('reads back what was written since the last key change, zeroes elsewhere; the store never holds the plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const store = new MemoryBlockStore({ size: SECTORS * SECTOR });
        const dev = new EncryptedDevice(store, await MediaKey.open(tempDir()));
        // Per sector: the fill written under the current key, 'gone' if written under an older key, or zero.
        const model: Array<number | 'gone' | 'zero'> = Array(SECTORS).fill('zero');
        for (const o of ops) {
          if (o.kind === 'write') {
            const count = Math.min(o.count, SECTORS - o.sector);
            await dev.write(Buffer.alloc(count * SECTOR, o.fill), o.sector * SECTOR);
            for (let s = o.sector; s < o.sector + count; s++) model[s] = o.fill;
          } else if (o.kind === 'discard') {
            await dev.discard(o.unit * 8 * SECTOR, 8 * SECTOR);
            for (let s = o.unit * 8; s < o.unit * 8 + 8; s++) model[s] = 'zero';
          } else {
            await dev.mediaKey.rotate();
            for (let s = 0; s < SECTORS; s++) if (typeof model[s] === 'number') model[s] = 'gone';
          }
        }
        const all = Buffer.alloc(SECTORS * SECTOR);
        await dev.read(all, 0);
        const raw = Buffer.alloc(SECTORS * SECTOR);
        await store.read(raw, 0);
        for (let s = 0; s < SECTORS; s++) {
          const got = all.subarray(s * SECTOR, (s + 1) * SECTOR);
          const m = model[s]!;
          if (m === 'zero') expect(got.equals(Buffer.alloc(SECTOR))).toBe(true);
          else if (m === 'gone') expect(got.equals(Buffer.alloc(SECTOR, got[0]!))).toBe(false);
          else {
            expect(got.equals(Buffer.alloc(SECTOR, m))).toBe(true);
            expect(raw.subarray(s * SECTOR, (s + 1) * SECTOR).equals(got)).toBe(false);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('keeps its key across a reopen, and refuses a key file of the wrong length', async () => {
    const dir = tempDir();
    const store = new MemoryBlockStore({ size: 8 * SECTOR });
    await new EncryptedDevice(store, await MediaKey.open(dir)).write(Buffer.alloc(SECTOR, 7), 0);
    const again = new EncryptedDevice(store, await MediaKey.open(dir));
    const back = Buffer.alloc(SECTOR);
    await again.read(back, 0);
    expect(back).toEqual(Buffer.alloc(SECTOR, 7));

    writeFileSync(join(dir, MEDIA_KEY_FILE), Buffer.alloc(10));
    await expect(MediaKey.open(dir)).rejects.toThrow(/a media key is 64 bytes, this file has 10/);
  });

  it('refuses I/O that is not whole 512-byte sectors, and extent digests', async () => {
    const dev = new EncryptedDevice(new MemoryBlockStore({ size: 8 * SECTOR }), await MediaKey.open(tempDir()));
    await expect(dev.write(Buffer.alloc(100), 0)).rejects.toBeInstanceOf(BlockIoError);
    await expect(dev.read(Buffer.alloc(SECTOR), 100)).rejects.toBeInstanceOf(BlockIoError);
    await expect(dev.digestExtents()).rejects.toMatchObject({ code: 'ENOTSUP' });
    expect(dev.digestAlgorithms).toEqual([]);
  });
});
