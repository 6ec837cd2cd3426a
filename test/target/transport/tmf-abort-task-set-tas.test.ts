/**
 * ABORT TASK SET (SAM-5 §7.3) aborts only the sender's tasks on the LU, without status,
 * whatever the Control page's TAS says (TAS concerns tasks aborted by another I_T nexus);
 * another nexus's tasks run on and complete GOOD, and it gets no unit attention.
 * FUNCTION COMPLETE comes only after the sender's running task left the device.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScsiStatus, TmfResponse } from '../../../src/scsi/types.js';
import { Tmf, startTasRig, status, testUnitReady, tmfResponse } from './helpers/tas-rig.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('ABORT TASK SET and the Control page TAS', () => {
  for (const tas of [false, true]) {
    it(`TAS=${tas ? 1 : 0}: the sender's tasks end without status, the other nexus's complete GOOD`, async () => {
      const { A, B, device, runningWrite, queuedWrite, blockAt } = await startTasRig(tas, cleanup);
      await runningWrite(A, 9, 0xaa);
      const aQueued = await queuedWrite(A, 10);
      const bRunning = await runningWrite(B, 7, 0xbb);
      const bQueued = await queuedWrite(B, 8);

      const tmf = A.tmf(Tmf.ABORT_TASK_SET);
      expect(await A.next(200)).toBeUndefined();
      device.open(9);
      expect(await tmfResponse(A, tmf)).toBe(TmfResponse.COMPLETE);
      expect(await blockAt(9)).toBe(0xaa);
      aQueued.sendData(0xaa);
      expect(await A.next(200)).toBeUndefined();
      expect(await blockAt(10)).toBe(0);
      // B's tasks were not touched.
      bQueued.sendData(0xbb);
      expect(await status(B, bQueued.itt)).toBe(ScsiStatus.GOOD);
      device.open(7);
      expect(await status(B, bRunning)).toBe(ScsiStatus.GOOD);
      expect([await blockAt(7), await blockAt(8)]).toEqual([0xbb, 0xbb]);
      expect((await testUnitReady(B)).status).toBe(ScsiStatus.GOOD);
      expect((await testUnitReady(A)).status).toBe(ScsiStatus.GOOD);
    });
  }
});
