import { describe, expect, it } from 'vitest';
import { rig, senseOf, be32 } from './helpers.js';
import { ScsiStatus } from '../../src/scsi/types.js';

const rsoc = (options: number, opcode = 0, sa = 0, alloc = 65536) => [0xa3, 0x0c, options, opcode, sa >> 8, sa & 0xff, ...be32(alloc), 0, 0];

describe('REPORT SUPPORTED OPERATION CODES', () => {
  it('lists every command of the table, with SERVACTV for multiplexed ones', async () => {
    const { exec, target, lu } = await rig();
    const d = (await exec(rsoc(0))).dataIn!;
    // The LU's commands: a plain LU has no REPORT TARGET PORT GROUPS (no ALUA).
    const commands = target.commands.allOn(lu);
    expect(commands.some((c) => c.name === 'REPORT TARGET PORT GROUPS')).toBe(false);
    expect(d.readUInt32BE(0)).toBe(commands.length * 8);
    const rc16 = [...Array(commands.length).keys()].map((i) => d.subarray(4 + 8 * i, 12 + 8 * i)).find((x) => x[0] === 0x9e);
    expect(rc16![5]! & 1).toBe(1);
    expect(rc16!.readUInt16BE(2)).toBe(0x10);
  });

  it('RCTD appends a 12-byte timeouts descriptor to each entry', async () => {
    const { exec, target, lu } = await rig();
    const d = (await exec(rsoc(0x80))).dataIn!;
    expect(d.readUInt32BE(0)).toBe(target.commands.allOn(lu).length * 20);
    expect(d[4 + 5]! & 0x02).toBe(0x02);
    expect(d.readUInt16BE(12)).toBe(0x0a);
  });

  it('one command: usage data for READ(10); unsupported reports SUPPORT 001b', async () => {
    const { exec } = await rig();
    const d = (await exec(rsoc(1, 0x28))).dataIn!;
    expect(d[1]! & 7).toBe(3);
    expect(d.readUInt16BE(2)).toBe(10);
    expect(d[4]).toBe(0x28);
    expect((await exec(rsoc(1, 0xc5))).dataIn![1]! & 7).toBe(1);
  });

  it('option 1 on a multiplexed opcode, or 2 on a plain one, is INVALID FIELD IN CDB', async () => {
    const { exec } = await rig();
    expect(senseOf(await exec(rsoc(1, 0x9e)))).toMatchObject({ key: 5, asc: 0x24 });
    expect(senseOf(await exec(rsoc(2, 0x28)))).toMatchObject({ key: 5, asc: 0x24 });
    const d = (await exec(rsoc(2, 0x9e, 0x10))).dataIn!;
    expect(d[1]! & 7).toBe(3);
    expect(d.readUInt16BE(2)).toBe(16);
  });

  it('REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS reports ATS, ATSS, CTSS, LURS, TRS', async () => {
    const { exec } = await rig();
    const r = await exec([0xa3, 0x0d, 0, 0, 0, 0, ...be32(4), 0, 0]);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn![0]).toBe(0xda);
  });
});
