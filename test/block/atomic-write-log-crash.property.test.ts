/**
 * An atomic write interrupted by a crash at any point comes back whole or not at all:
 * the log is cut at every length (and filled with noise) before it is reopened.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicWriteLog } from '../../src/block/atomic-write-log.js';
import type { BlockDevice } from '../../src/block/device.js';
import { MemoryBlockStore } from '../../src/block/memory-store.js';

const SIZE = 64 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'tandem-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function image(store: BlockDevice): Promise<Buffer> {
  const b = Buffer.alloc(SIZE);
  await store.read(b, 0);
  return b;
}

/** The log's bytes as they are right after the record is durable (the crash point of interest). */
async function recordBytes(offset: number, data: Buffer): Promise<Buffer> {
  const path = join(dir, `record-${n++}`);
  let captured: Buffer | undefined;
  const spy: BlockDevice = Object.assign(Object.create(new MemoryBlockStore({ size: SIZE })) as BlockDevice, {
    write: async () => {
      captured = readFileSync(path);
    },
  });
  const log = await AtomicWriteLog.open(path, spy, SIZE);
  await log.write(data, offset);
  expect(statSync(path).size).toBe(0);
  return captured!;
}

describe('atomic write log', () => {
  it('a write completes whole and leaves the log empty', async () => {
    const store = new MemoryBlockStore({ size: SIZE });
    const path = join(dir, `w-${n++}`);
    const log = await AtomicWriteLog.open(path, store, SIZE);
    const data = randomBytes(4096);
    await log.write(data, 8192);
    expect((await image(store)).subarray(8192, 8192 + 4096).equals(data)).toBe(true);
    expect(statSync(path).size).toBe(0);
  });

  it('a write its target refuses leaves the log empty: nothing is replayed over later writes at the next open', async () => {
    const store = new MemoryBlockStore({ size: SIZE });
    const path = join(dir, `refused-${n++}`);
    const log = await AtomicWriteLog.open(path, store, SIZE);
    const refused = new Error('refused: the node changed role');
    await expect(log.write(randomBytes(4096), 8192, { write: () => Promise.reject(refused) })).rejects.toBe(refused);
    expect(statSync(path).size).toBe(0);
    const later = Buffer.alloc(4096, 7);
    await store.write(later, 8192);
    const reopened = await AtomicWriteLog.open(path, store, SIZE);
    expect(reopened.replayed).toBe(false);
    expect((await image(store)).subarray(8192, 8192 + 4096).equals(later)).toBe(true);
  });

  it('after a crash the image holds the whole write (record complete) or none of it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: SIZE / 512 - 16 }), fc.integer({ min: 1, max: 16 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), async (block, blocks, cut, halfApplied) => {
        const data = randomBytes(blocks * 512);
        const record = await recordBytes(block * 512, data);
        const at = Math.floor(cut * record.length);
        const whole = at === record.length || cut > 0.9;
        const path = join(dir, `crash-${n++}`);
        writeFileSync(path, whole ? record : record.subarray(0, at));
        const old = randomBytes(SIZE);
        const store = new MemoryBlockStore({ size: SIZE });
        await store.write(old, 0);
        // With the record whole, the crash may also have come during the write to the image.
        if (whole && halfApplied) await store.write(data.subarray(0, Math.floor(data.length / 2)), block * 512);
        const log = await AtomicWriteLog.open(path, store, SIZE);
        const expected = Buffer.from(old);
        if (whole) data.copy(expected, block * 512);
        expect(log.replayed).toBe(whole);
        expect((await image(store)).equals(expected)).toBe(true);
        expect(statSync(path).size).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('random bytes in the log are never applied', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 8192 }), async (bytes) => {
        const path = join(dir, `noise-${n++}`);
        writeFileSync(path, bytes);
        const old = randomBytes(SIZE);
        const store = new MemoryBlockStore({ size: SIZE });
        await store.write(old, 0);
        const log = await AtomicWriteLog.open(path, store, SIZE);
        expect(log.replayed).toBe(false);
        expect((await image(store)).equals(old)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});
