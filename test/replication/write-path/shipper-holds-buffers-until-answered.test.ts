/**
 * Async mirroring ships a host write's own buffer (no copy), so the buffer may go back to
 * its pool only once the backup has it: given back when the backup answered, and never
 * after a command that failed, since a link whose command timed out may still send it
 * later (the queue folded into the delta table lets go of it meanwhile, the sender must
 * not).
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { BufferPool } from '../../../src/util/buffer-pool.js';
import { VOLUME, expectIdentical, openHarness, quiesce, reachContinuous } from '../device-harness.js';
import { FakeLink } from '../fake-link.js';
import { tempMetaDir } from '../temp-meta.js';
import { issuedWrite, until } from './link-waits.js';

const B = 4096;

async function heldAsyncPair(scatteredRanges: number, queueMemory?: number) {
  const link = new FakeLink(VOLUME);
  link.scatteredRanges = scatteredRanges;
  const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async', queueMemory }, { local: new MemoryBlockStore({ size: VOLUME, path: 'primary' }), link });
  await reachContinuous(h);
  const pool = new BufferPool({ minBytes: B, maxBytes: 1 << 20, maxIdleBytes: 1 << 24 });
  // Host writes in pooled buffers (as the target's Data-Out), each in another 64 KiB chunk; the owner lets go once acknowledged.
  const hostWrites = (count: number, from: number) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const lease = pool.take(B);
        lease.buffer.fill(from + i);
        await h.device.write(lease.buffer, (from + i) * 65536, false, lease);
        lease.release();
      }),
    );
  return { h, pool, hostWrites };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('async shipping holds the host buffers it sends', () => {
  for (const [name, ranges] of [['WRITE', 0], ['WRITE SCATTERED', 8]] as const) {
    it(`as ${name}: not given back while the backup has not answered, given back once it has`, async () => {
      const { h, pool, hostWrites } = await heldAsyncPair(ranges);
      const release = h.link.hold();
      await hostWrites(4, 1);
      await turns(20);
      expect(pool.idleBytes).toBe(0);
      release();
      await quiesce(h);
      expect(pool.idleBytes).toBe(4 * B);
      await expectIdentical(h);
      await h.device.close();
    });

    it(`as ${name}: never given back after the command failed, though the queue let go of it`, async () => {
      const { h, pool, hostWrites } = await heldAsyncPair(ranges);
      const release = h.link.hold();
      await hostWrites(4, 1);
      await turns(20);
      h.link.cut = true;
      release();
      await h.tick(1000);
      expect(h.device.status().state).toBe('delta');
      // The queue was folded into the delta table: only the failed sender could still give the buffers back.
      expect(pool.idleBytes).toBe(0);
      h.link.cut = false;
      // A pass copies the image's chunks instead; back in continuous mirroring, the buffers are still never reused.
      await reachContinuous(h);
      await quiesce(h);
      expect(pool.idleBytes).toBe(0);
      await expectIdentical(h);
      await h.device.close();
    });

    it(`as ${name}, in a batch read back from the journal: the changes still in memory are never given back after the command failed`, async () => {
      // Room for two changes in memory: the rest spill.
      const { h, pool, hostWrites } = await heldAsyncPair(ranges, 2 * B);
      const first = h.link.hold();
      await hostWrites(1, 1);
      // A discard never joins the pipeline: the writes behind it wait for the first batch's answer, and spill meanwhile.
      await h.device.discard(12 * 65536, B);
      await hostWrites(5, 2);
      // The first write (in flight) and the discard spill too, in queue order; the spilled writes' buffers come back from the queue.
      await until(() => pool.idleBytes === 3 * B);
      // Once the discard is answered, the next batch (spilled and in-memory writes together) waits at the backup.
      let second: (() => void) | undefined;
      const discard = h.link.discard.bind(h.link);
      h.link.discard = async (offset, length) => {
        await discard(offset, length);
        second = h.link.hold();
      };
      first();
      await until(() => issuedWrite(h, 6 * 65536));
      h.link.cut = true;
      second!();
      await h.tick(1000);
      expect(h.device.status().state).toBe('delta');
      // The first batch's buffer and the three spilled writes' are back; the two writes sent from memory never are.
      expect(pool.idleBytes).toBe(4 * B);
      h.link.cut = false;
      await reachContinuous(h);
      await quiesce(h);
      expect(pool.idleBytes).toBe(4 * B);
      await expectIdentical(h);
      await h.device.close();
    });
  }
});
