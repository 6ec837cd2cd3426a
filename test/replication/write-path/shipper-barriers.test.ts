/**
 * Asynchronous shipping flushes the backup only where the host put a barrier: writes that
 * follow one another without a flush or a FUA write in between go out with no flush
 * between them; a SYNCHRONIZE CACHE or an acknowledged FUA write puts one flush before
 * whatever came after it; and one confirmation flush ends the run (shipper-pipeline.test.ts:
 * the flush at a barrier goes in the pipeline).
 */
import { describe, expect, it } from 'vitest';
import { openHarness, quiesce, reachContinuous } from '../device-harness.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;

describe('shipper: backup flushes at host barriers only', () => {
  it('flushes before what follows a host flush or a FUA write, and nowhere else', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async' });
    await reachContinuous(h);
    const release = h.link.hold();
    const mark = h.link.trace.length;
    await h.device.write(Buffer.alloc(B, 1), 0); // A: shipped at once (and held)
    await h.device.write(Buffer.alloc(B, 2), B); // B: after A, no barrier
    await h.device.flush(); // a barrier
    await h.device.write(Buffer.alloc(B, 3), 2 * B); // C
    await h.device.write(Buffer.alloc(B, 4), 3 * B, true); // D, FUA: a barrier once acknowledged
    await h.device.write(Buffer.alloc(B, 5), 4 * B); // E
    release();
    await quiesce(h);
    expect(h.link.trace.slice(mark)).toEqual([`write 0`, `write ${B}`, 'flush', `write ${2 * B}`, `write ${3 * B}`, 'flush', `write ${4 * B}`, 'flush']);
    await h.device.close();
  });

  it('changes in flight together go out as one batch, contiguous ones as one WRITE, with no flush until the confirmation', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async' });
    await reachContinuous(h);
    const release = h.link.hold();
    const mark = h.link.trace.length;
    await h.device.write(Buffer.alloc(B, 9), 40 * B); // holds the shipper while the next ones queue
    await Promise.all([0, 1, 2, 3, 8].map((i) => h.device.write(Buffer.alloc(B, i + 1), i * B)));
    release();
    await quiesce(h);
    expect(h.link.trace.slice(mark)).toEqual([`write ${40 * B}`, 'write 0', `write ${8 * B}`, 'flush']);
    await h.device.close();
  });

});
