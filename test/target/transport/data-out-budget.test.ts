/**
 * A flood of large writes: the connection's Data-Out budget, not the initiator, decides how
 * many command buffers exist at once, and finished commands' buffers are reused.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DATA_OUT_BUDGET_BYTES } from '../../../src/target/transport-limits.js';
import { ioBufferPool } from '../../../src/util/buffer-pool.js';
import { BLOCK } from './helpers/fake-scsi.js';
import { MemoryConnection, dataOut, wire, writeCommand } from './helpers/memory-connection.js';

const MiB = 1024 * 1024;

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

afterEach(() => vi.restoreAllMocks());

describe('Data-Out memory under a flood of large writes', () => {
  it('solicits only what the budget holds, and reuses the buffers of finished writes', async () => {
    const c = new MemoryConnection({ maxRecvDataSegmentLength: 256 * 1024, maxBurstLength: MiB, firstBurstLength: 64 * 1024, initialR2T: true, immediateData: false });
    const take = vi.spyOn(ioBufferPool, 'take');
    const writes = 100;
    const fits = DATA_OUT_BUDGET_BYTES / MiB;
    for (let i = 0; i < writes; i++) c.push(wire(writeCommand(i + 1, 1 + i, 0, MiB / BLOCK, BLOCK, Buffer.alloc(0), true), Buffer.alloc(0), false));
    const r2ts = () => c.output().filter((o) => o.kind === 'r2t');
    expect(r2ts()).toHaveLength(fits);

    // Answer every R2T in turn; each finished write lets one more in.
    const payload = Buffer.alloc(MiB, 0x3c);
    let answered = 0;
    while (answered < writes) {
      const pending = r2ts().slice(answered);
      expect(pending.length).toBeGreaterThan(0);
      for (const r of pending) {
        if (r.kind !== 'r2t') continue;
        for (let off = 0; off < MiB; off += 256 * 1024) {
          const seg = payload.subarray(off, off + 256 * 1024);
          c.push(wire(dataOut(r.pdu.itt, r.pdu.ttt, off / (256 * 1024), off, seg.length, off + seg.length === MiB), seg, false));
        }
      }
      answered += pending.length;
      await settle();
    }
    expect(c.output().filter((o) => o.kind === 'scsi-response' && o.pdu.status === 0)).toHaveLength(writes);
    expect(c.scsi.memory.equals(payload)).toBe(true);
    // Never more buffers than the budget holds: later writes got earlier writes' memory back.
    const distinct = new Set(take.mock.results.map((r) => (r.value as { buffer: Buffer }).buffer.buffer));
    expect(take).toHaveBeenCalledTimes(writes);
    expect(distinct.size).toBeLessThanOrEqual(fits);
    expect(ioBufferPool.idleBytes).toBeLessThanOrEqual(ioBufferPool.options.maxIdleBytes);
  });
});
