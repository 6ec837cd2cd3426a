/**
 * LOGICAL UNIT RESET (SAM-5 §7.7, §6.3.3) aborts every task on the LU as described in
 * SAM-5 §5.6: the sender's own end without status; another I_T nexus's end without status
 * with the Control page's TAS=0 and with TASK ABORTED with TAS=1 (TAS as it was when the
 * reset came). FUNCTION COMPLETE comes only after none of them still runs, and every
 * nexus then has the reset's unit attention.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { Tmf, everyTaskAborted, testUnitReady } from './helpers/tas-rig.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const BUS_DEVICE_RESET_FUNCTION_OCCURRED = { status: ScsiStatus.CHECK_CONDITION, asc: 0x29, ascq: 0x03 };

describe('LOGICAL UNIT RESET and the Control page TAS', () => {
  it('TAS=0: every task ends without status; FUNCTION COMPLETE once the running ones left the device', async () => {
    const { A, B } = await everyTaskAborted(Tmf.LOGICAL_UNIT_RESET, false, cleanup);
    expect(await testUnitReady(A)).toEqual(BUS_DEVICE_RESET_FUNCTION_OCCURRED);
    expect(await testUnitReady(B)).toEqual(BUS_DEVICE_RESET_FUNCTION_OCCURRED);
  });

  it("TAS=1: the other nexus's tasks answer TASK ABORTED, before FUNCTION COMPLETE; the sender's own none", async () => {
    const { A, B } = await everyTaskAborted(Tmf.LOGICAL_UNIT_RESET, true, cleanup);
    expect(await testUnitReady(A)).toEqual(BUS_DEVICE_RESET_FUNCTION_OCCURRED);
    expect(await testUnitReady(B)).toEqual(BUS_DEVICE_RESET_FUNCTION_OCCURRED);
  });
});
