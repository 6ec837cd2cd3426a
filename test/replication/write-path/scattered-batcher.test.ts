/**
 * Synchronous mirroring's backup writes: those issued in the same event-loop turn go in one
 * WRITE SCATTERED (each answered when it is answered); an overlapping one, one over the
 * range or byte limit, or one too large starts another command; FUA writes and a backup
 * without the command get plain WRITEs.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { ScatteredBatcher } from '../../../src/replication/scattered-batcher.js';
import { VOLUME, openHarness, reachContinuous } from '../device-harness.js';
import { FakeLink } from '../fake-link.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;

describe('ScatteredBatcher', () => {
  it('packs one turn\'s writes; splits at an overlap and at the range limit; a large write goes alone', async () => {
    const link = new FakeLink(VOLUME);
    link.scatteredRanges = 3;
    const batcher = new ScatteredBatcher(link, 60 * 1024);
    await Promise.all([
      batcher.write(Buffer.alloc(B, 1), 0),
      batcher.write(Buffer.alloc(B, 2), 8 * B),
      batcher.write(Buffer.alloc(B, 3), 0), // overlaps the first: a new command
      batcher.write(Buffer.alloc(B, 4), 16 * B),
      batcher.write(Buffer.alloc(B, 5), 24 * B),
      batcher.write(Buffer.alloc(B, 6), 32 * B), // a fourth range: a new command
      batcher.write(Buffer.alloc(32 * 1024, 7), 64 * B), // too large to pack
    ]);
    // The large write is sent at once; the last pack (of one: a WRITE) at the end of the turn.
    expect(link.sent).toEqual([`scattered 0,${8 * B}`, `scattered 0,${16 * B},${24 * B}`, `write ${64 * B}`, `write ${32 * B}`]);
    const b = Buffer.alloc(B);
    await link.backup.read(b, 0);
    expect(b[0]).toBe(3);
  });

  it('a failed command fails every write in it', async () => {
    const link = new FakeLink(VOLUME);
    link.scatteredRanges = 8;
    link.cut = true;
    const batcher = new ScatteredBatcher(link);
    const results = await Promise.allSettled([batcher.write(Buffer.alloc(B), 0), batcher.write(Buffer.alloc(B), 4 * B)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('a backup without WRITE SCATTERED gets a WRITE each', async () => {
    const link = new FakeLink(VOLUME);
    const batcher = new ScatteredBatcher(link);
    await Promise.all([batcher.write(Buffer.alloc(B), 0), batcher.write(Buffer.alloc(B), 4 * B)]);
    expect(link.sent).toEqual(['write 0', `write ${4 * B}`]);
  });

  it('in synchronous mirroring, host writes that arrive together reach the backup in one command; a FUA write alone', async () => {
    const link = new FakeLink(VOLUME);
    link.scatteredRanges = 16;
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'sync' }, { local: new MemoryBlockStore({ size: VOLUME, path: 'primary' }), link });
    await reachContinuous(h);
    const mark = link.sent.length;
    await Promise.all([0, 1, 2].map((i) => h.device.write(Buffer.alloc(B, i + 1), i * 65536)));
    await h.device.write(Buffer.alloc(B, 9), 4 * 65536, true);
    expect(link.sent.slice(mark)).toEqual(['scattered 0,65536,131072', `write ${4 * 65536}`]);
    expect(link.trace.slice(-1)).toEqual([`write ${4 * 65536} fua`]);
    await h.device.close();
  });
});
