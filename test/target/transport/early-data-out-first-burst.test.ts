/**
 * A write held in a CmdSN gap keeps a whole first burst of unsolicited Data-Out sent in the
 * smallest pieces an initiator may use (512 bytes, MaxRecvDataSegmentLength's least value):
 * once the gap fills, it takes the kept data, solicits the rest and completes.
 */
import { describe, expect, it } from 'vitest';
import { RESERVED_TAG } from '../../../src/iscsi/pdu/opcodes.js';
import { lunToField } from '../../../src/iscsi/pdu/bhs.js';
import { encodeScsiCommand } from '../../../src/iscsi/pdu/scsi-command.js';
import { BLOCK } from './helpers/fake-scsi.js';
import { MemoryConnection, dataOut, wire, writeCommand } from './helpers/memory-connection.js';

const KiB = 1024;

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('early Data-Out for a write held in a CmdSN gap', () => {
  it('keeps a whole first burst in 512-byte pieces, then completes the write', async () => {
    const firstBurst = 64 * KiB;
    const c = new MemoryConnection({ initialR2T: false, immediateData: false, firstBurstLength: firstBurst, maxBurstLength: 64 * KiB });
    await settle();
    const payload = Buffer.alloc(2 * firstBurst);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 9)) & 0xff;
    // ExpCmdSN is 1; the write carries CmdSN 2 and waits for the gap with its first burst.
    c.push(wire(writeCommand(0x77, 2, 0, payload.length / BLOCK, BLOCK, Buffer.alloc(0), false), Buffer.alloc(0), false));
    for (let off = 0, sn = 0; off < firstBurst; off += 512, sn++) {
      const seg = payload.subarray(off, off + 512);
      c.push(wire(dataOut(0x77, RESERVED_TAG, sn, off, seg.length, off + 512 === firstBurst), seg, false));
    }
    await settle();
    expect(c.output()).toEqual([]);

    // CmdSN 1 fills the gap: the write takes its kept data and asks for the rest.
    const tur = encodeScsiCommand({ immediate: false, final: true, read: false, write: false, attribute: 1, lun: lunToField(0), itt: 0x10, expectedLength: 0, cmdSN: 1, expStatSN: 1, cdb: Buffer.alloc(16) }, 0);
    c.push(wire(tur, Buffer.alloc(0), false));
    await settle();
    const r2t = c.output().find((o) => o.kind === 'r2t');
    expect(r2t?.kind === 'r2t' && [r2t.pdu.bufferOffset, r2t.pdu.desiredLength]).toEqual([firstBurst, firstBurst]);
    if (r2t?.kind !== 'r2t') return;
    for (let off = firstBurst, sn = 0; off < payload.length; off += 8 * KiB, sn++) {
      const seg = payload.subarray(off, off + 8 * KiB);
      c.push(wire(dataOut(0x77, r2t.pdu.ttt, sn, off, seg.length, off + seg.length === payload.length), seg, false));
    }
    await settle();
    const response = c.output().find((o) => o.kind === 'scsi-response' && o.pdu.itt === 0x77);
    expect(response?.kind === 'scsi-response' && response.pdu.status).toBe(0);
    expect(c.scsi.memory.subarray(0, payload.length).equals(payload)).toBe(true);
    expect(c.output().some((o) => o.kind === 'reject')).toBe(false);
  });
});
