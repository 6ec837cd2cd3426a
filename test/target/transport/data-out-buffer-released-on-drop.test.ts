/**
 * A connection dropped while a Data-Out segment is landing in its command's pooled buffer:
 * the task is aborted (its lease released) and the landing's hold goes with the connection,
 * so the buffer goes back to the pool exactly once (reused once, never handed out twice).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ioBufferPool, type BufferLease } from '../../../src/util/buffer-pool.js';
import { BLOCK } from './helpers/fake-scsi.js';
import { MemoryConnection, dataOut, wire, writeCommand } from './helpers/memory-connection.js';

const KiB = 1024;

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

afterEach(() => vi.restoreAllMocks());

describe('a connection dropped mid-Data-Out', () => {
  it('returns the command buffer to the pool once', async () => {
    const bytes = 256 * KiB;
    const c = new MemoryConnection({ maxRecvDataSegmentLength: 128 * KiB, maxBurstLength: bytes, firstBurstLength: 64 * KiB, initialR2T: true, immediateData: false });
    const take = vi.spyOn(ioBufferPool, 'take');
    c.push(wire(writeCommand(1, 1, 0, bytes / BLOCK, BLOCK, Buffer.alloc(0), true), Buffer.alloc(0), false));
    const r2t = c.output().find((o) => o.kind === 'r2t');
    expect(r2t).toBeDefined();
    if (r2t?.kind !== 'r2t') return;
    // Half of the first Data-Out segment: it is landing in the command's buffer (taken for it).
    const seg = Buffer.alloc(128 * KiB, 0x5a);
    c.push(wire(dataOut(1, r2t.pdu.ttt, 0, 0, seg.length, false), seg, false).subarray(0, 48 + 64 * KiB));
    expect(take).toHaveBeenCalledTimes(1);
    const lease = take.mock.results[0]!.value as BufferLease;
    expect(lease.pooled).toBe(true);
    const memory = lease.buffer.buffer;
    c.connection.drop('test: connection lost');
    await settle();
    expect(c.closed).toBe(true);
    take.mockRestore();
    const again = ioBufferPool.take(bytes);
    const other = ioBufferPool.take(bytes);
    // (Identity as booleans: a failure message need not print two 256 KiB buffers.)
    expect(again.buffer.buffer === memory).toBe(true);
    expect(other.buffer.buffer === memory).toBe(false);
    again.release();
    other.release();
  });
});
