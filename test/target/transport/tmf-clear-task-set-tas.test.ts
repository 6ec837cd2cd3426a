/**
 * CLEAR TASK SET (SAM-5 §7.5, §5.6) aborts every task on the LU, of every I_T nexus: the
 * sender's own end without status; another nexus's end without status with the Control
 * page's TAS=0 and with TASK ABORTED with TAS=1 (a queued one at once, one already in the
 * device once it has left it). FUNCTION COMPLETE comes only after none of them still runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScsiStatus, TmfResponse } from '../../../src/scsi/types.js';
import { Tmf, startTasRig, status, testUnitReady, tmfResponse } from './helpers/tas-rig.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('CLEAR TASK SET and the Control page TAS', () => {
  it('TAS=0: every task ends without status; FUNCTION COMPLETE once the running ones left the device', async () => {
    const { A, B, device, runningWrite, queuedWrite, blockAt } = await startTasRig(false, cleanup);
    await runningWrite(A, 9, 0xaa);
    await runningWrite(B, 7, 0xbb);
    const bQueued = await queuedWrite(B, 8);

    const tmf = A.tmf(Tmf.CLEAR_TASK_SET);
    expect(await A.next(200)).toBeUndefined();
    device.open(7);
    expect(await A.next(200)).toBeUndefined();
    device.open(9);
    expect(await tmfResponse(A, tmf)).toBe(TmfResponse.COMPLETE);
    // What was in the device landed before FUNCTION COMPLETE; the queued write never ran.
    expect([await blockAt(7), await blockAt(9)]).toEqual([0xbb, 0xaa]);
    bQueued.sendData(0xbb);
    expect(await B.next(200)).toBeUndefined();
    expect(await blockAt(8)).toBe(0);
    // B is told: COMMANDS CLEARED BY ANOTHER INITIATOR; A is not.
    expect(await testUnitReady(B)).toEqual({ status: ScsiStatus.CHECK_CONDITION, asc: 0x2f, ascq: 0 });
    expect((await testUnitReady(A)).status).toBe(ScsiStatus.GOOD);
  });

  it("TAS=1: the other nexus's tasks answer TASK ABORTED, before FUNCTION COMPLETE; the sender's own none", async () => {
    const { A, B, device, runningWrite, queuedWrite, blockAt } = await startTasRig(true, cleanup);
    await runningWrite(A, 9, 0xaa);
    const bRunning = await runningWrite(B, 7, 0xbb);
    const bQueued = await queuedWrite(B, 8);

    const tmf = A.tmf(Tmf.CLEAR_TASK_SET);
    expect(await status(B, bQueued.itt)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await A.next(200)).toBeUndefined();
    device.open(7);
    expect(await status(B, bRunning)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await A.next(200)).toBeUndefined();
    device.open(9);
    // The sender's own write answers nothing: the TMF response is the next thing A gets.
    expect(await tmfResponse(A, tmf)).toBe(TmfResponse.COMPLETE);
    expect([await blockAt(7), await blockAt(9)]).toEqual([0xbb, 0xaa]);
    bQueued.sendData(0xbb);
    expect(await B.next(200)).toBeUndefined();
    expect(await blockAt(8)).toBe(0);
    expect(await A.next(200)).toBeUndefined();
  });
});
