import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { A, B, C, SA, makeLu, prOut, readReservation, register } from './helpers.js';

// SPC-4 r37 §5.13.11.4.3 (Preempting persistent reservations), step g): "If the type or scope
// has changed, then for every I_T nexus whose reservation key was not removed, except for the
// I_T nexus on which the PERSISTENT RESERVE OUT command was received, the device server shall
// establish a unit attention condition ... RESERVATIONS RELEASED (2Ah/04h)". (LIO does this.)
describe('PREEMPT of the holder and the unit attentions for the registrants it keeps', () => {
  it.each([
    ['PREEMPT', SA.PREEMPT],
    ['PREEMPT AND ABORT', SA.PREEMPT_AND_ABORT],
  ])('%s that changes the type: RESERVATIONS RELEASED for each registrant kept but the sender', async (_name, action) => {
    const lu = await makeLu();
    await register(lu, A, 0xan);
    await register(lu, B, 0xbn);
    await register(lu, C, 0xcn);
    expect((await prOut(lu, A, SA.RESERVE, 1, 0xan)).status).toBe(ScsiStatus.GOOD); // WRITE EXCLUSIVE
    // B preempts A, the new type WRITE EXCLUSIVE - REGISTRANTS ONLY.
    expect((await prOut(lu, B, action, 5, 0xbn, 0xan)).status).toBe(ScsiStatus.GOOD);
    expect(await readReservation(lu, B)).toEqual({ key: 0xbn, type: 5 });
    expect(lu.unitAttentions.take(A)).toEqual([0x2a, 0x05]); // REGISTRATIONS PREEMPTED
    expect(lu.unitAttentions.take(C)).toEqual([0x2a, 0x04]);
    expect(lu.unitAttentions.take(B)).toBeUndefined();
  });

  it('PREEMPT that keeps the type raises nothing for the registrants kept', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xan);
    await register(lu, B, 0xbn);
    await register(lu, C, 0xcn);
    await prOut(lu, A, SA.RESERVE, 1, 0xan);
    expect((await prOut(lu, B, SA.PREEMPT, 1, 0xbn, 0xan)).status).toBe(ScsiStatus.GOOD);
    expect(lu.unitAttentions.take(A)).toEqual([0x2a, 0x05]);
    expect(lu.unitAttentions.take(C)).toBeUndefined();
    expect(lu.unitAttentions.take(B)).toBeUndefined();
  });
});
