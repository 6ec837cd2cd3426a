import { describe, expect, it } from 'vitest';
import { ScsiStatus, type Nexus } from '../../../src/scsi/types.js';
import { cdbOf, nexus, read10, rig, senseOf, write10 } from '../helpers.js';

// SPC-4 r37 §5.13.11.4.4 (PREEMPT AND ABORT): "all tasks ... from the I_T nexuses ... whose
// reservation keys were removed shall be aborted ... as if a CLEAR TASK SET"; a preempted
// initiator's in-flight write must never reach the medium (cluster managers fence with it).
// A command of such a nexus admitted before the PREEMPT AND ABORT is TASK ABORTED when it
// comes to run, and the nexus is told COMMANDS CLEARED BY ANOTHER INITIATOR (2Fh/00h).

function prOut(action: number, type: number, key: bigint, sark: bigint): { cdb: number[]; data: Buffer } {
  const data = Buffer.alloc(24);
  data.writeBigUInt64BE(key, 0);
  data.writeBigUInt64BE(sark, 8);
  return { cdb: [0x5f, action, type, 0, 0, 0, 0, 0, 24, 0], data };
}

const [REGISTER_IGNORE, RESERVE, PREEMPT, PREEMPT_AND_ABORT] = [6, 1, 4, 5];
const WRITE_EXCLUSIVE = 1;
const WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 5;

/** A registered with key AA, B with BB and holding a reservation of `type`, C with CC. */
async function fenced(type = WRITE_EXCLUSIVE) {
  const r = await rig({ advanced: true, blocks: 64 });
  const [A, B, C] = [nexus(1), nexus(2), nexus(3)];
  for (const n of [B, C]) {
    r.target.nexusSeen(n);
    await r.exec([0x00], undefined, n); // its POWER ON, RESET
  }
  for (const [n, k] of [[A, 0xaan], [B, 0xbbn], [C, 0xccn]] as const) {
    const reg = prOut(REGISTER_IGNORE, 0, 0n, k);
    expect((await r.exec(reg.cdb, reg.data, n)).status).toBe(ScsiStatus.GOOD);
  }
  const res = prOut(RESERVE, type, 0xbbn, 0n);
  expect((await r.exec(res.cdb, res.data, B)).status).toBe(ScsiStatus.GOOD);
  /** A WRITE(10) of one block admitted now, its Data-Out still to come. */
  const admitWrite = (who: Nexus, lba: number) =>
    r.target.prepare({ nexus: who, lun: 0, cdb: cdbOf(write10(lba, 1)), expectedLength: 512, read: false, write: true, taskAttribute: 0 });
  const blockAt = async (lba: number) => (await r.exec(read10(lba, 1), undefined, A)).dataIn![0];
  return { r, A, B, C, admitWrite, blockAt };
}

describe('PREEMPT AND ABORT and the commands the preempted nexus had admitted', () => {
  it('aborts the preempted nexus write that was waiting for its Data-Out: TASK ABORTED, medium unchanged', async () => {
    const { r, A, B, admitWrite, blockAt } = await fenced();
    const plan = admitWrite(B, 7);
    const pa = prOut(PREEMPT_AND_ABORT, WRITE_EXCLUSIVE, 0xaan, 0xbbn);
    expect((await r.exec(pa.cdb, pa.data, A)).status).toBe(ScsiStatus.GOOD);
    expect((await plan.run(Buffer.alloc(512, 0xbb))).status).toBe(ScsiStatus.TASK_ABORTED);
    expect(await blockAt(7)).toBe(0);
  });

  it('tells the preempted nexus REGISTRATIONS PREEMPTED, then COMMANDS CLEARED BY ANOTHER INITIATOR; its new commands run', async () => {
    const { r, A, B, C } = await fenced();
    const pa = prOut(PREEMPT_AND_ABORT, WRITE_EXCLUSIVE, 0xaan, 0xbbn);
    expect((await r.exec(pa.cdb, pa.data, A)).status).toBe(ScsiStatus.GOOD);
    expect(senseOf(await r.exec([0x00], undefined, B))).toMatchObject({ key: 0x06, asc: 0x2a, ascq: 0x05 });
    expect(senseOf(await r.exec([0x00], undefined, B))).toMatchObject({ key: 0x06, asc: 0x2f, ascq: 0x00 });
    expect((await r.exec(read10(7, 1), undefined, B)).status).toBe(ScsiStatus.GOOD);
    // Neither the sender nor a registrant it kept lost anything.
    expect((await r.exec([0x00], undefined, A)).status).toBe(ScsiStatus.GOOD);
    expect((await r.exec([0x00], undefined, C)).status).toBe(ScsiStatus.GOOD);
  });

  it("aborts only the preempted nexus's commands, not the sender's or a kept registrant's", async () => {
    const { r, A, B, C, admitWrite, blockAt } = await fenced(WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
    // Every registrant may write under this type: all three are admitted.
    const [fromA, fromB, fromC] = [admitWrite(A, 9), admitWrite(B, 10), admitWrite(C, 11)];
    const pa = prOut(PREEMPT_AND_ABORT, WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0xaan, 0xbbn);
    expect((await r.exec(pa.cdb, pa.data, A)).status).toBe(ScsiStatus.GOOD);
    expect((await fromA.run(Buffer.alloc(512, 0xaa))).status).toBe(ScsiStatus.GOOD);
    expect((await fromB.run(Buffer.alloc(512, 0xbb))).status).toBe(ScsiStatus.TASK_ABORTED);
    expect((await fromC.run(Buffer.alloc(512, 0xcc))).status).toBe(ScsiStatus.GOOD);
    expect([await blockAt(9), await blockAt(10), await blockAt(11)]).toEqual([0xaa, 0, 0xcc]);
  });

  it('a plain PREEMPT aborts nothing: the admitted write still lands', async () => {
    const { r, A, admitWrite, B, blockAt } = await fenced();
    const plan = admitWrite(B, 7);
    const p = prOut(PREEMPT, WRITE_EXCLUSIVE, 0xaan, 0xbbn);
    expect((await r.exec(p.cdb, p.data, A)).status).toBe(ScsiStatus.GOOD);
    expect((await plan.run(Buffer.alloc(512, 0xbb))).status).toBe(ScsiStatus.GOOD);
    expect(await blockAt(7)).toBe(0xbb);
  });
});
