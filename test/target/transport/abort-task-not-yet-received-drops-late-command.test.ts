/**
 * RFC 7143 §11.5.1 ABORT TASK, case (b): once the target answered Function complete for a
 * command it had not received, that command counts as received and aborted: should it
 * arrive afterwards, it is dropped as a duplicate and never runs.
 */
import { describe, expect, it } from 'vitest';
import { lunToField } from '../../../src/iscsi/pdu/bhs.js';
import { TmfFunction } from '../../../src/iscsi/pdu/opcodes.js';
import { encodeTaskMgmtRequest } from '../../../src/iscsi/pdu/task-management.js';
import { MemoryConnection, wire, writeCommand } from './helpers/memory-connection.js';
import { BLOCK } from './helpers/fake-scsi.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('ABORT TASK for a command not yet received', () => {
  it('drops the command when it arrives after the Function complete', async () => {
    const c = new MemoryConnection();
    await settle();
    // ExpCmdSN is 1 (the login's CmdSN). Immediate ABORT TASK (CmdSN 2) for ITT 0x200, RefCmdSN 1.
    const tmf = { immediate: true, function: TmfFunction.ABORT_TASK, lun: lunToField(0), itt: 0x100, referencedTaskTag: 0x200, cmdSN: 2, expStatSN: 1, refCmdSN: 1, expDataSN: 0 };
    c.push(wire(encodeTaskMgmtRequest(tmf), Buffer.alloc(0), false));
    await settle();
    const answer = c.output().find((o) => o.kind === 'task-mgmt-response');
    expect(answer?.kind === 'task-mgmt-response' && answer.pdu.response).toBe(0);

    // The aborted command itself: a one-block WRITE with its data immediate.
    const data = Buffer.alloc(BLOCK, 0xa5);
    c.push(wire(writeCommand(0x200, 1, 0, 1, BLOCK, data, true), data, false));
    await settle();
    expect(c.output().some((o) => o.kind === 'scsi-response' && o.pdu.itt === 0x200)).toBe(false);
    expect(c.scsi.requests).toHaveLength(0);
    expect(c.scsi.memory.subarray(0, BLOCK).equals(Buffer.alloc(BLOCK))).toBe(true);
  });
});
