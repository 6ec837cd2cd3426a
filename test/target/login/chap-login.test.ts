import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { answers, INITIATOR, LIBISCSI_OPERATIONAL, makeEnv, makeTarget, md5ChapResponse, request, status, TARGET } from './helpers.js';

const chap = { user: 'alice', secret: 'alice-secret-12' };

describe('login with one-way CHAP (libiscsi sequence)', () => {
  it('negotiates AuthMethod, algorithm, verifies the response and completes', () => {
    const login = new LoginNegotiator(makeEnv([makeTarget({ chap })]));
    const r1 = login.step(request({ csg: 0, nsg: 1, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET, SessionType: 'Normal', AuthMethod: 'CHAP,None' } }));
    expect(status(r1)).toBe(0);
    expect(r1.transit).toBe(false); // not authenticated yet
    expect(answers(r1)).toEqual({ TargetPortalGroupTag: '1', AuthMethod: 'CHAP' });

    const r2 = login.step(request({ csg: 0, nsg: 1, transit: false, keys: { CHAP_A: '5' } }));
    const c = answers(r2);
    expect(c.CHAP_A).toBe('5');
    expect(c.CHAP_C).toMatch(/^0x[0-9a-f]{32,}$/);
    expect(Number(c.CHAP_I)).toBeGreaterThanOrEqual(0);

    const r3 = login.step(
      request({ csg: 0, nsg: 1, transit: true, keys: { CHAP_N: 'alice', CHAP_R: md5ChapResponse(c.CHAP_I!, chap.secret, c.CHAP_C!) } }),
    );
    expect(status(r3)).toBe(0);
    expect(r3).toMatchObject({ csg: 0, nsg: 1, transit: true });
    expect(answers(r3)).toEqual({});

    const r4 = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET, SessionType: 'Normal', ...LIBISCSI_OPERATIONAL } }));
    expect(status(r4)).toBe(0);
    expect(login.done).toBe(true);
  });

  it('refuses AuthMethod=None when CHAP is configured', () => {
    const login = new LoginNegotiator(makeEnv([makeTarget({ chap })]));
    const r = login.step(request({ csg: 0, nsg: 1, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET, AuthMethod: 'None' } }));
    expect(status(r)).toBe(0x0201);
    expect(login.failed).toBe(true);
  });

  it('refuses skipping the security stage when CHAP is configured', () => {
    const login = new LoginNegotiator(makeEnv([makeTarget({ chap })]));
    const r = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET } }));
    expect(status(r)).toBe(0x0201);
  });

  it('refuses CHAP keys in the operational stage', () => {
    const login = new LoginNegotiator(makeEnv());
    login.step(request({ csg: 0, nsg: 1, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET, AuthMethod: 'None' } }));
    const r = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { CHAP_A: '5' } }));
    expect(status(r)).toBe(0x0200);
  });

  it('refuses an unsupported CHAP algorithm with an authentication failure', () => {
    const login = new LoginNegotiator(makeEnv([makeTarget({ chap })]));
    login.step(request({ csg: 0, nsg: 1, keys: { InitiatorName: INITIATOR, TargetName: TARGET, AuthMethod: 'CHAP' } }));
    expect(status(login.step(request({ csg: 0, nsg: 1, keys: { CHAP_A: '1,2' } })))).toBe(0x0201);
  });
});
