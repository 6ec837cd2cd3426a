/**
 * A small write gathered from several Data-Out PDUs (16 KiB in two, the sizes a backup
 * receives from its primary) lands in a buffer from the I/O pool and goes back to it once the command is done, as a large one's does:
 * a fresh allocation per write that outlived a young collection died in the old generation,
 * where its bytes pushed V8 into a full collection every 60-100 ms (buffer-pool.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ioBufferPool, type BufferLease } from '../../../src/util/buffer-pool.js';
import { BLOCK } from './helpers/fake-scsi.js';
import { MemoryConnection, dataOut, wire, writeCommand } from './helpers/memory-connection.js';

const BYTES = 16 * 1024;
/** The connection's MaxRecvDataSegmentLength (the helper's): two PDUs carry the write. */
const SEGMENT = 8 * 1024;

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

afterEach(() => vi.restoreAllMocks());

describe('a 16 KiB solicited write in two Data-Out PDUs', () => {
  it('lands in a pooled buffer that is back in the pool once the command is done', async () => {
    const c = new MemoryConnection({ initialR2T: true, immediateData: false, maxBurstLength: BYTES, maxRecvDataSegmentLength: SEGMENT });
    const take = vi.spyOn(ioBufferPool, 'take');
    c.push(wire(writeCommand(1, 1, 0, BYTES / BLOCK, BLOCK, Buffer.alloc(0), true), Buffer.alloc(0), false));
    const r2t = c.output().find((o) => o.kind === 'r2t');
    expect(r2t).toBeDefined();
    if (r2t?.kind !== 'r2t') return;
    const data = Buffer.alloc(BYTES, 0x6b);
    c.push(wire(dataOut(1, r2t.pdu.ttt, 0, 0, SEGMENT, false), data.subarray(0, SEGMENT), false));
    c.push(wire(dataOut(1, r2t.pdu.ttt, 1, SEGMENT, SEGMENT, true), data.subarray(SEGMENT), false));
    await settle();
    expect(c.output().some((o) => o.kind === 'scsi-response' && o.pdu.itt === 1 && o.pdu.status === 0)).toBe(true);
    expect(c.scsi.memory.subarray(0, BYTES).equals(data)).toBe(true);
    expect(take).toHaveBeenCalledTimes(1);
    const lease = take.mock.results[0]!.value as BufferLease;
    expect(lease.pooled).toBe(true);
    take.mockRestore();
    // The pool hands that memory out again: the command gave it back.
    const again = ioBufferPool.take(BYTES);
    expect(again.buffer.buffer === lease.buffer.buffer).toBe(true);
    again.release();
  });
});
