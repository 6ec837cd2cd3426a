/**
 * A write whose CmdSN is ahead of ExpCmdSN waits in its queue, and no R2T went out for it:
 * only unsolicited Data-Out (TTT 0xffffffff) may come early, and only when unsolicited data
 * may follow the command (InitialR2T=No and the F bit clear). Anything else is rejected at
 * once and the command terminated, rather than kept until the command's turn.
 */
import { describe, expect, it } from 'vitest';
import { RESERVED_TAG, RejectReason } from '../../../src/iscsi/pdu/opcodes.js';
import { BLOCK } from './helpers/fake-scsi.js';
import { MemoryConnection, dataOut, wire, writeCommand } from './helpers/memory-connection.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A write (CmdSN 2, ExpCmdSN 1: held in the gap), then one zero-length Data-Out for it. */
async function earlyDataOut(initialR2T: boolean, final: boolean, ttt: number): Promise<MemoryConnection> {
  const c = new MemoryConnection({ initialR2T, firstBurstLength: 64 * 1024 });
  await settle();
  c.push(wire(writeCommand(0x77, 2, 0, 8, BLOCK, Buffer.alloc(0), final), Buffer.alloc(0), false));
  c.push(dataOut(0x77, ttt, 0, 0, 0, false));
  await settle();
  return c;
}

function rejected(c: MemoryConnection): { reasons: unknown[]; held: boolean } {
  const session = (c.connection as unknown as { session: { tasks: Map<number, unknown> } }).session;
  return { reasons: c.output().flatMap((o) => (o.kind === 'reject' ? [o.pdu.reason] : [])), held: session.tasks.has(0x77) };
}

describe('early Data-Out the queued command cannot have yet', () => {
  it('is rejected when InitialR2T=Yes', async () => {
    expect(rejected(await earlyDataOut(true, false, RESERVED_TAG))).toEqual({ reasons: [RejectReason.PROTOCOL_ERROR], held: false });
  });

  it('is rejected when the command has the F bit (no unsolicited Data-Out follows it)', async () => {
    expect(rejected(await earlyDataOut(false, true, RESERVED_TAG))).toEqual({ reasons: [RejectReason.PROTOCOL_ERROR], held: false });
  });

  it('is rejected when it names a target transfer tag (no R2T went out)', async () => {
    expect(rejected(await earlyDataOut(false, false, 0x1234))).toEqual({ reasons: [RejectReason.PROTOCOL_ERROR], held: false });
  });

  it('is kept when it is unsolicited data the command may have', async () => {
    expect(rejected(await earlyDataOut(false, false, RESERVED_TAG))).toEqual({ reasons: [], held: true });
  });
});
