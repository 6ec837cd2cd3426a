/**
 * CLEAR TASK SET, LOGICAL UNIT RESET and TARGET WARM RESET answer FUNCTION COMPLETE only once
 * no task on the LU still runs, a write an ended session left in the device included:
 * nothing lands after the TMF response (as PREEMPT AND ABORT waits for such tasks).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TmfResponse } from '../../../src/scsi/types.js';
import { Tmf, settleUntil, startTasRig, tmfResponse } from './helpers/tas-rig.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('task management waits for the tasks ended sessions left running', () => {
  for (const [name, fn] of [
    ['CLEAR TASK SET', Tmf.CLEAR_TASK_SET],
    ['LOGICAL UNIT RESET', Tmf.LOGICAL_UNIT_RESET],
    ['TARGET WARM RESET', Tmf.TARGET_WARM_RESET],
  ] as const) {
    it(`${name}: FUNCTION COMPLETE only once the lost session's write has left the device`, async () => {
      const { A, B, server, device, runningWrite, blockAt } = await startTasRig(false, cleanup);
      await runningWrite(B, 7, 0xbb);
      // B's connection drops: its session ends, its write still in the device.
      B.close();
      await settleUntil(() => server.sessions.size === 1);
      expect(server.sessions.size).toBe(1);

      const tmf = A.tmf(fn);
      expect(await A.next(300)).toBeUndefined();
      expect(await blockAt(7)).toBe(0);
      device.open(7);
      expect(await tmfResponse(A, tmf)).toBe(TmfResponse.COMPLETE);
      expect(await blockAt(7)).toBe(0xbb);
    });
  }
});
