/**
 * The Data-Out timeout: a write that asked for its data (an R2T) and gets none for the
 * timeout drops its connection (ERL 0: the initiator logs in again); one whose data keeps
 * coming, however long the whole takes, does not. Fake clocks: no test waits for real.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BLOCK } from './helpers/fake-scsi.js';
import { MAX_UNSENT_OUTPUT_BYTES } from '../../../src/target/transport-limits.js';
import { MemoryConnection, dataOut, readCommand, wire, writeCommand } from './helpers/memory-connection.js';

const TIMEOUT_MS = 1000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => vi.useRealTimers());

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function r2ts(c: MemoryConnection) {
  return c.output().flatMap((o) => (o.kind === 'r2t' ? [o.pdu] : []));
}

describe('a write that asked for data', () => {
  it('drops its connection once no Data-Out has come for the timeout', async () => {
    const c = new MemoryConnection({}, undefined, { dataOutTimeoutMs: TIMEOUT_MS });
    c.push(wire(writeCommand(1, 1, 0, 4, BLOCK, Buffer.alloc(0), true), Buffer.alloc(0), false));
    await settle();
    expect(r2ts(c)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS / 2);
    expect(c.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
    expect(c.closed).toBe(true);
  });

  it('keeps its connection while the data keeps coming, past the timeout in all', async () => {
    // One R2T of 2048 bytes at a time: 8 of them for 16 KiB, each answered after 40% of the timeout.
    const c = new MemoryConnection({ maxBurstLength: 2048, maxOutstandingR2T: 1 }, undefined, { dataOutTimeoutMs: TIMEOUT_MS });
    const blocks = 32;
    c.push(wire(writeCommand(1, 1, 0, blocks, BLOCK, Buffer.alloc(0), true), Buffer.alloc(0), false));
    await settle();
    for (let answered = 0; answered < 8; answered++) {
      await vi.advanceTimersByTimeAsync(TIMEOUT_MS * 0.4);
      expect(c.closed).toBe(false);
      const r = r2ts(c)[answered]!;
      const seg = Buffer.alloc(r.desiredLength, answered + 1);
      c.push(wire(dataOut(r.itt, r.ttt, 0, r.bufferOffset, seg.length, true), seg, false));
      await settle();
    }
    expect(c.output().filter((o) => o.kind === 'scsi-response' && o.pdu.status === 0)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS * 3);
    expect(c.closed).toBe(false);
  });

  it('does not count the time the target is not reading its socket (the data may wait there)', async () => {
    const c = new MemoryConnection({ maxSendDataSegmentLength: 256 * 1024, maxBurstLength: 1024 * 1024 }, undefined, { dataOutTimeoutMs: TIMEOUT_MS });
    c.stallOutput();
    c.push(wire(writeCommand(1, 1, 0, 4, BLOCK, Buffer.alloc(0), true), Buffer.alloc(0), false));
    await settle();
    const r2t = r2ts(c)[0]!;
    // READs whose answers nobody reads, until the target stops reading its socket.
    for (let i = 0; !c.readingPaused; i++) {
      expect(i).toBeLessThan(MAX_UNSENT_OUTPUT_BYTES / (1024 * 1024) + 10);
      c.push(wire(readCommand(i + 2, i + 2, 0, 2048, BLOCK), Buffer.alloc(0), false));
      await settle();
    }
    const data = Buffer.alloc(4 * BLOCK, 0x77);
    c.push(wire(dataOut(r2t.itt, r2t.ttt, 0, 0, data.length, true), data, false));
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS * 3);
    expect(c.closed).toBe(false);

    c.resumeOutput();
    await settle();
    expect(c.output().some((o) => o.kind === 'scsi-response' && o.pdu.itt === 1 && o.pdu.status === 0)).toBe(true);
    expect(c.scsi.memory.subarray(0, data.length).equals(data)).toBe(true);
    expect(c.closed).toBe(false);
  });
});
