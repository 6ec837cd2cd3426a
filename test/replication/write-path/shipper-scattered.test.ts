/**
 * Scattered small writes go to a backup that takes WRITE SCATTERED as packs (one command
 * and one answer for many writes, the backup's work per write as much as ours); a pipelined
 * batch's first command is ORDERED whether it is a pack or a WRITE; large and contiguous
 * writes, and discards, keep their own commands; a backup that does not take the command
 * gets one WRITE per write.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { VOLUME, openHarness, quiesce, reachContinuous } from '../device-harness.js';
import { FakeLink } from '../fake-link.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

async function backupEqualsPrimary(h: Awaited<ReturnType<typeof openHarness>>): Promise<boolean> {
  const a = Buffer.alloc(h.local.size);
  const b = Buffer.alloc(h.local.size);
  await h.local.read(a, 0);
  await h.link.backup.read(b, 0);
  return a.equals(b);
}

/**
 * An async pair whose backup takes `scatteredRanges` per WRITE SCATTERED, its link held:
 * `run` issues the host writes, lets the backup answer, and returns what was sent.
 */
async function heldPair(scatteredRanges: number) {
  const link = new FakeLink(VOLUME);
  link.scatteredRanges = scatteredRanges;
  const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async' }, { local: new MemoryBlockStore({ size: VOLUME, path: 'primary' }), link });
  await reachContinuous(h);
  const release = h.link.hold();
  const sentMark = h.link.sent.length;
  return {
    h,
    async run(writes: () => Promise<unknown>): Promise<string[]> {
      await writes();
      await settle();
      release();
      await quiesce(h);
      return h.link.sent.slice(sentMark);
    },
  };
}

describe('shipper: WRITE SCATTERED packs', () => {
  it('one batch of scattered writes goes as packs of at most the backup\'s ranges; the backup ends equal', async () => {
    const { h, run } = await heldPair(3);
    // Seven writes in flight together, every one in another 64 KiB chunk.
    const sent = await run(() => Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => h.device.write(Buffer.alloc(B, i + 1), i * 65536))));
    // The first write went at once, alone; the six that joined it meanwhile are the next
    // batch, pipelined behind it: its first command (a pack) ORDERED.
    expect(sent).toEqual(['write 0', 'scattered 65536,131072,196608 ordered', 'scattered 262144,327680,393216']);
    expect(await backupEqualsPrimary(h)).toBe(true);
    await h.device.close();
  });

  it('contiguous writes merge into one WRITE, large ones and discards go alone, only small separate ones are packed', async () => {
    const { h, run } = await heldPair(8);
    const sent = await run(async () => {
      // A write that goes at once, alone: the four below then make one batch.
      await h.device.write(Buffer.alloc(B, 9), 768 * 1024);
      await Promise.all([
        h.device.write(Buffer.alloc(B, 1), 0),
        h.device.write(Buffer.alloc(B, 2), B),
        h.device.write(Buffer.alloc(64 * 1024, 3), 512 * 1024),
        h.device.write(Buffer.alloc(B, 4), 960 * 1024),
      ]);
    });
    // 0 and B merge into one 8 KiB group, packed with the 4 KiB write; the 64 KiB write alone (commands in the order of their first group).
    expect(sent).toEqual(['write 786432', 'write 524288 ordered', 'scattered 0,983040']);
    // The group's two writes go as their own buffers, not joined into a new one.
    expect(h.link.scatteredPieces.at(-1)!.map((range) => range.map((p) => p[0]))).toEqual([[1, 2], [4]]);
    expect(await backupEqualsPrimary(h)).toBe(true);
    await h.device.close();
  });

  it('contiguous writes go as one WRITE of their queued buffers, not a copy joined for it', async () => {
    const { h, run } = await heldPair(0);
    const sent = await run(async () => {
      await h.device.write(Buffer.alloc(B, 9), 768 * 1024);
      // Sixteen contiguous writes in flight together, 64 KiB in all: one group.
      await Promise.all(Array.from({ length: 16 }, (_, i) => h.device.write(Buffer.alloc(B, i + 1), i * B)));
    });
    expect(sent).toEqual(['write 786432', 'write 0 ordered']);
    const pieces = h.link.writePieces.at(-1)!;
    expect(pieces.map((p) => p.length)).toEqual(Array.from({ length: 16 }, () => B));
    expect(pieces.map((p) => p[0])).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(await backupEqualsPrimary(h)).toBe(true);
    await h.device.close();
  });

  it('a backup that does not take WRITE SCATTERED gets one WRITE per write', async () => {
    const { h, run } = await heldPair(0);
    const sent = await run(() => Promise.all([0, 1, 2].map((i) => h.device.write(Buffer.alloc(B, i + 1), i * 65536))));
    expect(sent).toEqual(['write 0', 'write 65536 ordered', 'write 131072']);
    expect(await backupEqualsPrimary(h)).toBe(true);
    await h.device.close();
  });
});
