/**
 * A write whose CmdSN is ahead of ExpCmdSN waits in its queue; the unsolicited Data-Out that
 * arrives meanwhile is kept for it. Bytes were bounded by FirstBurstLength, but zero-length
 * PDUs add none: the PDUs kept are bounded too (a first burst takes at most one per 512 bytes,
 * MaxRecvDataSegmentLength's least value). Beyond that the PDU is rejected and the command
 * terminated; the connection carries on.
 */
import { describe, expect, it } from 'vitest';
import { RESERVED_TAG, RejectReason } from '../../../src/iscsi/pdu/opcodes.js';
import { BLOCK } from './helpers/fake-scsi.js';
import { MemoryConnection, dataOut, wire, writeCommand } from './helpers/memory-connection.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('early Data-Out for a write held in a CmdSN gap', () => {
  it('rejects zero-length Data-Out PDUs beyond what FirstBurstLength takes, and terminates the command', async () => {
    const c = new MemoryConnection({ initialR2T: false, firstBurstLength: 64 * 1024 });
    await settle();
    // ExpCmdSN is 1; the write carries CmdSN 2 and waits for the gap.
    c.push(wire(writeCommand(0x77, 2, 0, 128, BLOCK, Buffer.alloc(0), false), Buffer.alloc(0), false));
    const parts: Buffer[] = [];
    for (let sn = 0; sn < 10_000; sn++) parts.push(dataOut(0x77, RESERVED_TAG, sn, 0, 0, false));
    c.push(Buffer.concat(parts));
    await settle();
    const session = (c.connection as unknown as { session: { tasks: Map<number, unknown> } }).session;
    expect(session.tasks.has(0x77)).toBe(false);
    const rejects = c.output().filter((o) => o.kind === 'reject');
    expect(rejects.map((o) => o.kind === 'reject' && o.pdu.reason)).toEqual([RejectReason.PROTOCOL_ERROR]);
    // The Reject carries the refused header: 64 KiB / 512 = 128 PDUs were kept, DataSN 128 was one too many.
    expect(rejects[0]!.data.readUInt32BE(36)).toBe(128);
    expect(c.closed).toBe(false);
  });
});
