/**
 * CLEAR TASK SET (SAM-5 §7.5, §5.6) aborts every task on the LU, of every I_T nexus: the
 * sender's own end without status; another nexus's end without status with the Control
 * page's TAS=0 and with TASK ABORTED with TAS=1 (a queued one at once, one already in the
 * device once it has left it). FUNCTION COMPLETE comes only after none of them still runs.
 * With TAS=0 each other nexus whose commands were aborted gets COMMANDS CLEARED BY ANOTHER
 * INITIATOR; with TAS=1 (it got TASK ABORTED) and where nothing was aborted, none does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScsiStatus, TmfResponse } from '../../../src/scsi/types.js';
import { Tmf, everyTaskAborted, startTasRig, testUnitReady, tmfResponse } from './helpers/tas-rig.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('CLEAR TASK SET and the Control page TAS', () => {
  it('TAS=0: every task ends without status; FUNCTION COMPLETE once the running ones left the device', async () => {
    const { A, B } = await everyTaskAborted(Tmf.CLEAR_TASK_SET, false, cleanup);
    // B is told: COMMANDS CLEARED BY ANOTHER INITIATOR; A is not.
    expect(await testUnitReady(B)).toEqual({ status: ScsiStatus.CHECK_CONDITION, asc: 0x2f, ascq: 0 });
    expect((await testUnitReady(A)).status).toBe(ScsiStatus.GOOD);
  });

  it("TAS=1: the other nexus's tasks answer TASK ABORTED, before FUNCTION COMPLETE; the sender's own none; no unit attention", async () => {
    const { A, B } = await everyTaskAborted(Tmf.CLEAR_TASK_SET, true, cleanup);
    // The TASK ABORTED statuses told B (SAM-5 §5.6): no COMMANDS CLEARED BY ANOTHER INITIATOR.
    expect((await testUnitReady(B)).status).toBe(ScsiStatus.GOOD);
    expect((await testUnitReady(A)).status).toBe(ScsiStatus.GOOD);
  });

  it('TAS=0: a nexus that had no command aborted gets no unit attention', async () => {
    const { A, B } = await startTasRig(false, cleanup);
    expect(await tmfResponse(A, A.tmf(Tmf.CLEAR_TASK_SET))).toBe(TmfResponse.COMPLETE);
    expect((await testUnitReady(B)).status).toBe(ScsiStatus.GOOD);
    expect((await testUnitReady(A)).status).toBe(ScsiStatus.GOOD);
  });
});
