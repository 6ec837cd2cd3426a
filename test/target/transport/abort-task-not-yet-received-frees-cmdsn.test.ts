/**
 * RFC 7143 §11.5.1 ABORT TASK, case (b): the referenced task does not exist and RefCmdSN is
 * in the window, before the TMF's own CmdSN. The target answers Function complete and
 * considers RefCmdSN received: ExpCmdSN moves past it, so the initiator's next command runs
 * (it is not held forever behind a CmdSN that never comes).
 */
import { describe, expect, it } from 'vitest';
import { lunToField } from '../../../src/iscsi/pdu/bhs.js';
import { TmfFunction } from '../../../src/iscsi/pdu/opcodes.js';
import { encodeScsiCommand } from '../../../src/iscsi/pdu/scsi-command.js';
import { encodeTaskMgmtRequest } from '../../../src/iscsi/pdu/task-management.js';
import { MemoryConnection, wire } from './helpers/memory-connection.js';

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function testUnitReady(itt: number, cmdSN: number): Buffer {
  return encodeScsiCommand(
    { immediate: false, final: true, read: false, write: false, attribute: 1, lun: lunToField(0), itt, expectedLength: 0, cmdSN, expStatSN: 1, cdb: Buffer.alloc(16) },
    0,
  );
}

describe('ABORT TASK for a command not yet received', () => {
  it('counts its RefCmdSN as received: ExpCmdSN moves on and the next command runs', async () => {
    const c = new MemoryConnection();
    await settle();
    // The login's CmdSN was 1, so ExpCmdSN is 1. Immediate ABORT TASK (CmdSN 2) for ITT 0x200, RefCmdSN 1.
    const tmf = { immediate: true, function: TmfFunction.ABORT_TASK, lun: lunToField(0), itt: 0x100, referencedTaskTag: 0x200, cmdSN: 2, expStatSN: 1, refCmdSN: 1, expDataSN: 0 };
    c.push(wire(encodeTaskMgmtRequest(tmf), Buffer.alloc(0), false));
    await settle();
    const answer = c.output().find((o) => o.kind === 'task-mgmt-response');
    expect(answer?.kind === 'task-mgmt-response' && [answer.pdu.response, answer.pdu.expCmdSN]).toEqual([0, 2]);

    c.push(wire(testUnitReady(0x300, 2), Buffer.alloc(0), false));
    await settle();
    const response = c.output().find((o) => o.kind === 'scsi-response' && o.pdu.itt === 0x300);
    expect(response?.kind === 'scsi-response' && response.pdu.status).toBe(0);
  });
});
