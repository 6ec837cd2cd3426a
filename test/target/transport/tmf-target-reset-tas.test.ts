/**
 * TARGET WARM RESET (RFC 7143 §11.5.1: a logical unit reset of every LU, SAM-5 §6.3.3)
 * aborts every task as described in SAM-5 §5.6: the sender's own end without status;
 * another I_T nexus's end without status with the Control page's TAS=0 and with TASK
 * ABORTED with TAS=1 (TAS as it was when the reset came). FUNCTION COMPLETE comes only
 * after none of them still runs, and every nexus then has the reset's unit attention.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScsiStatus, TmfResponse } from '../../../src/scsi/types.js';
import { Tmf, startTasRig, status, testUnitReady, tmfResponse } from './helpers/tas-rig.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const SCSI_BUS_RESET_OCCURRED = { status: ScsiStatus.CHECK_CONDITION, asc: 0x29, ascq: 0x02 };

describe('TARGET WARM RESET and the Control page TAS', () => {
  it('TAS=0: every task ends without status; FUNCTION COMPLETE once the running ones left the device', async () => {
    const { A, B, device, runningWrite, queuedWrite, blockAt } = await startTasRig(false, cleanup);
    await runningWrite(A, 9, 0xaa);
    await runningWrite(B, 7, 0xbb);
    const bQueued = await queuedWrite(B, 8);

    const tmf = A.tmf(Tmf.TARGET_WARM_RESET);
    expect(await A.next(200)).toBeUndefined();
    device.open(7);
    device.open(9);
    expect(await tmfResponse(A, tmf)).toBe(TmfResponse.COMPLETE);
    expect([await blockAt(7), await blockAt(9)]).toEqual([0xbb, 0xaa]);
    bQueued.sendData(0xbb);
    expect(await B.next(200)).toBeUndefined();
    expect(await blockAt(8)).toBe(0);
    expect(await testUnitReady(A)).toEqual(SCSI_BUS_RESET_OCCURRED);
    expect(await testUnitReady(B)).toEqual(SCSI_BUS_RESET_OCCURRED);
  });

  it("TAS=1: the other nexus's tasks answer TASK ABORTED, before FUNCTION COMPLETE; the sender's own none", async () => {
    const { A, B, device, runningWrite, queuedWrite, blockAt } = await startTasRig(true, cleanup);
    await runningWrite(A, 9, 0xaa);
    const bRunning = await runningWrite(B, 7, 0xbb);
    const bQueued = await queuedWrite(B, 8);

    const tmf = A.tmf(Tmf.TARGET_WARM_RESET);
    expect(await status(B, bQueued.itt)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await A.next(200)).toBeUndefined();
    device.open(7);
    expect(await status(B, bRunning)).toBe(ScsiStatus.TASK_ABORTED);
    expect(await A.next(200)).toBeUndefined();
    device.open(9);
    expect(await tmfResponse(A, tmf)).toBe(TmfResponse.COMPLETE);
    expect([await blockAt(7), await blockAt(9)]).toEqual([0xbb, 0xaa]);
    bQueued.sendData(0xbb);
    expect(await B.next(200)).toBeUndefined();
    expect(await blockAt(8)).toBe(0);
    expect(await A.next(200)).toBeUndefined();
    expect(await testUnitReady(A)).toEqual(SCSI_BUS_RESET_OCCURRED);
    expect(await testUnitReady(B)).toEqual(SCSI_BUS_RESET_OCCURRED);
  });
});
