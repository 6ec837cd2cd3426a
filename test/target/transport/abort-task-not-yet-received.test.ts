/**
 * RFC 7143 §11.5.1 ABORT TASK, case (b): the referenced task does not exist and RefCmdSN is
 * in the window, before the TMF's own CmdSN. The target answers Function complete and counts
 * that command as received and aborted: ExpCmdSN moves past it, so the initiator's next
 * command runs (it is not held forever behind a CmdSN that never comes), and the command
 * itself, should it arrive afterwards, is dropped as a duplicate and never runs.
 */
import { describe, expect, it } from 'vitest';
import { lunToField } from '../../../src/iscsi/pdu/bhs.js';
import { TmfFunction } from '../../../src/iscsi/pdu/opcodes.js';
import { encodeScsiCommand } from '../../../src/iscsi/pdu/scsi-command.js';
import { encodeTaskMgmtRequest } from '../../../src/iscsi/pdu/task-management.js';
import { MemoryConnection, wire, writeCommand, type TargetOutput } from './helpers/memory-connection.js';
import { BLOCK } from './helpers/fake-scsi.js';
import { settle } from './helpers/settle.js';

const ABORTED_ITT = 0x200;

/** Logs in (ExpCmdSN 1), then sends an immediate ABORT TASK (CmdSN 2) for ITT 0x200, RefCmdSN 1, never sent. */
async function abortNotYetReceived(): Promise<{ c: MemoryConnection; answer: TargetOutput | undefined }> {
  const c = new MemoryConnection();
  await settle();
  const tmf = { immediate: true, function: TmfFunction.ABORT_TASK, lun: lunToField(0), itt: 0x100, referencedTaskTag: ABORTED_ITT, cmdSN: 2, expStatSN: 1, refCmdSN: 1, expDataSN: 0 };
  c.push(wire(encodeTaskMgmtRequest(tmf), Buffer.alloc(0), false));
  await settle();
  return { c, answer: c.output().find((o) => o.kind === 'task-mgmt-response') };
}

function testUnitReady(itt: number, cmdSN: number): Buffer {
  return encodeScsiCommand(
    { immediate: false, final: true, read: false, write: false, attribute: 1, lun: lunToField(0), itt, expectedLength: 0, cmdSN, expStatSN: 1, cdb: Buffer.alloc(16) },
    0,
  );
}

describe('ABORT TASK for a command not yet received', () => {
  it('counts its RefCmdSN as received: ExpCmdSN moves on and the next command runs', async () => {
    const { c, answer } = await abortNotYetReceived();
    expect(answer?.kind === 'task-mgmt-response' && [answer.pdu.response, answer.pdu.expCmdSN]).toEqual([0, 2]);

    c.push(wire(testUnitReady(0x300, 2), Buffer.alloc(0), false));
    await settle();
    const response = c.output().find((o) => o.kind === 'scsi-response' && o.pdu.itt === 0x300);
    expect(response?.kind === 'scsi-response' && response.pdu.status).toBe(0);
  });

  it('drops the command when it arrives after the Function complete', async () => {
    const { c, answer } = await abortNotYetReceived();
    expect(answer?.kind === 'task-mgmt-response' && answer.pdu.response).toBe(0);

    // The aborted command itself: a one-block WRITE with its data immediate.
    const data = Buffer.alloc(BLOCK, 0xa5);
    c.push(wire(writeCommand(ABORTED_ITT, 1, 0, 1, BLOCK, data, true), data, false));
    await settle();
    expect(c.output().some((o) => o.kind === 'scsi-response' && o.pdu.itt === ABORTED_ITT)).toBe(false);
    expect(c.scsi.requests).toHaveLength(0);
    expect(c.scsi.memory.subarray(0, BLOCK).equals(Buffer.alloc(BLOCK))).toBe(true);
  });
});
