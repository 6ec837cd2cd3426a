/**
 * Asynchronous shipping keeps several batches in flight: a batch does not wait for the
 * backup's answer to the one before it. Each pipelined batch's first WRITE is ORDERED, so
 * the backup carries the batches out in queue order all the same (the task set); across a
 * host barrier a batch goes behind an ORDERED flush, without waiting for the answers before it.
 */
import { describe, expect, it } from 'vitest';
import { openHarness, quiesce, reachContinuous } from '../device-harness.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('shipper: batches pipelined to the backup', () => {
  it('sends up to 64 dependent batches before the first is answered, each after the first ORDERED; the backup applies them in order', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async' });
    await reachContinuous(h);
    const release = h.link.hold();
    const sentMark = h.link.sent.length;
    const mark = h.link.trace.length;
    // Each write acknowledged before the next is issued: seventy batches of one.
    const n = 70;
    for (let i = 0; i < n; i++) await h.device.write(Buffer.alloc(512, i + 1), i * 512);
    await settle();
    expect(h.link.sent.slice(sentMark)).toEqual(['write 0', ...Array.from({ length: 63 }, (_, i) => `write ${(i + 1) * 512} ordered`)]);
    release();
    await quiesce(h);
    expect(h.link.trace.slice(mark)).toEqual(Array.from({ length: n }, (_, i) => `write ${i * 512}`).concat('flush'));
    await h.device.close();
  });

  for (const barrier of ['a host flush', 'a FUA write'] as const) {
    it(`a batch after ${barrier} goes at once, behind an ORDERED flush, itself ORDERED`, async () => {
      const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async' });
      await reachContinuous(h);
      const release = h.link.hold();
      const sentMark = h.link.sent.length;
      const mark = h.link.trace.length;
      await h.device.write(Buffer.alloc(B, 1), 0);
      await h.device.write(Buffer.alloc(B, 2), B, barrier === 'a FUA write');
      if (barrier === 'a host flush') await h.device.flush();
      await h.device.write(Buffer.alloc(B, 3), 2 * B);
      await settle();
      // Sent while the two before it are unanswered: the backup orders the flush and the write after them.
      expect(h.link.sent.slice(sentMark)).toEqual(['write 0', `write ${B} ordered`, 'flush ordered', `write ${2 * B} ordered`]);
      expect(h.link.trace.length).toBe(mark);
      release();
      await quiesce(h);
      expect(h.link.trace.slice(mark)).toEqual(['write 0', `write ${B}`, 'flush', `write ${2 * B}`, 'flush']);
      await h.device.close();
    });
  }
});
