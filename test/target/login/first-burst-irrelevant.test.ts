/**
 * RFC 7143 §13.14 FirstBurstLength: "Irrelevant when: ( InitialR2T=Yes and ImmediateData=No )"
 * (no unsolicited data at all, so there is no first burst). The target answered it with a
 * number; it now answers Irrelevant whenever those two are in force when it is offered,
 * whether they came in the same request or an earlier one, or by default (InitialR2T=Yes).
 */
import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { answers, captureLogger, INITIATOR, makeEnv, request, status, TARGET } from './helpers.js';

const IDENTITY = { InitiatorName: INITIATOR, TargetName: TARGET };

function negotiator(): LoginNegotiator {
  return new LoginNegotiator(makeEnv(), { logger: captureLogger().logger });
}

describe('FirstBurstLength when InitialR2T=Yes and ImmediateData=No', () => {
  it('is answered Irrelevant when offered with them, the others answered as ever', () => {
    const login = negotiator();
    const r = login.step(
      request({ csg: 1, nsg: 3, transit: true, keys: { ...IDENTITY, FirstBurstLength: '65536', InitialR2T: 'Yes', ImmediateData: 'No', MaxBurstLength: '131072' } }),
    );
    expect(status(r)).toBe(0);
    expect(answers(r)).toMatchObject({ FirstBurstLength: 'Irrelevant', InitialR2T: 'Yes', ImmediateData: 'No', MaxBurstLength: '131072' });
    expect(login.done).toBe(true);
    expect(login.outcome?.params).toMatchObject({ initialR2T: true, immediateData: false, maxBurstLength: 131072 });
  });

  it('is answered Irrelevant when they were settled by an earlier request', () => {
    const login = negotiator();
    expect(status(login.step(request({ csg: 1, nsg: 3, keys: { ...IDENTITY, InitialR2T: 'Yes', ImmediateData: 'No' } })))).toBe(0);
    const r = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { FirstBurstLength: '65536' } }));
    expect(answers(r)).toEqual({ FirstBurstLength: 'Irrelevant' });
  });

  it('is answered Irrelevant with InitialR2T left at its default (Yes) and ImmediateData=No', () => {
    const login = negotiator();
    const r = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { ...IDENTITY, ImmediateData: 'No', FirstBurstLength: '65536' } }));
    expect(answers(r)).toMatchObject({ ImmediateData: 'No', FirstBurstLength: 'Irrelevant' });
  });

  it('offered again after its Irrelevant, ends the login as any repeated key does', () => {
    const login = negotiator();
    login.step(request({ csg: 1, nsg: 3, keys: { ...IDENTITY, InitialR2T: 'Yes', ImmediateData: 'No', FirstBurstLength: '65536' } }));
    expect(status(login.step(request({ csg: 1, nsg: 3, keys: { FirstBurstLength: '65536' } })))).toBe(0x0200);
  });

  it.each([
    ['InitialR2T=No', { InitialR2T: 'No', ImmediateData: 'No' }],
    ['ImmediateData=Yes', { InitialR2T: 'Yes', ImmediateData: 'Yes' }],
    ['both defaults', {}],
  ])('is negotiated as a number with %s (unsolicited data possible)', (_what, keys) => {
    const login = negotiator();
    const r = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { ...IDENTITY, ...keys, FirstBurstLength: '65536' } }));
    expect(answers(r).FirstBurstLength).toBe('65536');
    expect(login.outcome?.params.firstBurstLength).toBe(65536);
  });
});
