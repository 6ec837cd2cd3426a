/**
 * A command held for its CmdSN turn already takes a CmdSN inside [ExpCmdSN, MaxCmdSN]: only
 * commands delivered and not yet done narrow the window. Counting a held SCSI command as a
 * task and again as held (or at all) shrank the window the initiator may use.
 */
import { describe, expect, it } from 'vitest';
import { lunToField } from '../../../src/iscsi/pdu/bhs.js';
import { encodeNopOut } from '../../../src/iscsi/pdu/nop.js';
import { TmfFunction } from '../../../src/iscsi/pdu/opcodes.js';
import { encodeTaskMgmtRequest } from '../../../src/iscsi/pdu/task-management.js';
import { encodeScsiCommand } from '../../../src/iscsi/pdu/scsi-command.js';
import { DEFAULT_LIMITS } from '../../../src/target/transport-limits.js';
import { HOLD_OPCODE } from './helpers/fake-scsi.js';
import { MemoryConnection, wire } from './helpers/memory-connection.js';
import { settle } from './helpers/settle.js';

function noDataCommand(opcode: number, itt: number, cmdSN: number): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = opcode;
  return encodeScsiCommand(
    { immediate: false, final: true, read: false, write: false, attribute: 1, lun: lunToField(0), itt, expectedLength: 0, cmdSN, expStatSN: 1, cdb },
    0,
  );
}

const TEST_UNIT_READY = 0x00;

/** [ExpCmdSN, MaxCmdSN] as an immediate ping's answer reports them. */
async function window(c: MemoryConnection, itt: number, cmdSN: number): Promise<[number, number] | false> {
  c.push(wire(encodeNopOut({ immediate: true, lun: 0n, itt, ttt: 0xffffffff, cmdSN, expStatSN: 1 }, 0), Buffer.alloc(0), false));
  await settle();
  const ping = c.output().find((o) => o.kind === 'nop-in' && o.pdu.itt === itt);
  return ping?.kind === 'nop-in' && [ping.pdu.expCmdSN, ping.pdu.maxCmdSN];
}

describe('MaxCmdSN with a command held for its CmdSN turn', () => {
  it('counts the held command once, as a CmdSN inside the window', async () => {
    const depth = DEFAULT_LIMITS.queueDepth;
    const c = new MemoryConnection();
    await settle();
    // CmdSN 1 and 2 run (until released); CmdSN 4 waits for 3.
    c.push(wire(noDataCommand(HOLD_OPCODE, 0x10, 1), Buffer.alloc(0), false));
    c.push(wire(noDataCommand(HOLD_OPCODE, 0x11, 2), Buffer.alloc(0), false));
    c.push(wire(noDataCommand(TEST_UNIT_READY, 0x12, 4), Buffer.alloc(0), false));
    await settle();
    c.scsi.release();
    await settle();
    expect(c.output().filter((o) => o.kind === 'scsi-response').map((o) => o.pdu.itt)).toEqual([0x10, 0x11]);
    // Nothing runs: the window is the whole queue depth from ExpCmdSN 3 (the held CmdSN 4 inside it).
    expect(await window(c, 0x20, 3)).toEqual([3, 3 + depth - 1]);
  });

  it('does not count a held command aborted before its turn once that turn comes', async () => {
    const depth = DEFAULT_LIMITS.queueDepth;
    const c = new MemoryConnection();
    await settle();
    c.push(wire(noDataCommand(TEST_UNIT_READY, 0x10, 2), Buffer.alloc(0), false));
    const abort = { immediate: true, function: TmfFunction.ABORT_TASK, lun: lunToField(0), itt: 0x11, referencedTaskTag: 0x10, cmdSN: 3, expStatSN: 1, refCmdSN: 2, expDataSN: 0 };
    c.push(wire(encodeTaskMgmtRequest(abort), Buffer.alloc(0), false));
    await settle();
    c.push(wire(noDataCommand(TEST_UNIT_READY, 0x12, 1), Buffer.alloc(0), false));
    await settle();
    expect(c.output().filter((o) => o.kind === 'scsi-response').map((o) => o.pdu.itt)).toEqual([0x12]);
    expect(await window(c, 0x20, 3)).toEqual([3, 3 + depth - 1]);
  });
});
