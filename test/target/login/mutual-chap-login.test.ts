import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { answers, INITIATOR, makeEnv, makeTarget, md5ChapResponse, request, status, TARGET } from './helpers.js';

const chap = { user: 'alice', secret: 'alice-secret-12' };
const mutualChap = { user: 'disk1-user', secret: 'target-secret-34' };

function challenged(login: LoginNegotiator): Record<string, string> {
  login.step(request({ csg: 0, nsg: 1, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET, AuthMethod: 'CHAP,None' } }));
  return answers(login.step(request({ csg: 0, nsg: 1, keys: { CHAP_A: '5' } })));
}

describe('login with mutual CHAP', () => {
  it('returns our CHAP_N/CHAP_R for the initiator challenge while transiting', () => {
    const login = new LoginNegotiator(makeEnv([makeTarget({ chap, mutualChap })]));
    const c = challenged(login);
    const ourChallenge = `0x${'a5'.repeat(32)}`;
    const r = login.step(
      request({
        csg: 0,
        nsg: 1,
        transit: true,
        keys: { CHAP_N: 'alice', CHAP_R: md5ChapResponse(c.CHAP_I!, chap.secret, c.CHAP_C!), CHAP_I: '9', CHAP_C: ourChallenge },
      }),
    );
    expect(status(r)).toBe(0);
    expect(r.transit).toBe(true);
    expect(answers(r)).toEqual({ CHAP_N: 'disk1-user', CHAP_R: md5ChapResponse('9', mutualChap.secret, ourChallenge) });
  });

  it('fails with authentication failure when the initiator reflects our challenge', () => {
    const login = new LoginNegotiator(makeEnv([makeTarget({ chap, mutualChap })]));
    const c = challenged(login);
    const r = login.step(
      request({
        csg: 0,
        nsg: 1,
        transit: true,
        keys: { CHAP_N: 'alice', CHAP_R: md5ChapResponse(c.CHAP_I!, chap.secret, c.CHAP_C!), CHAP_I: c.CHAP_I!, CHAP_C: c.CHAP_C! },
      }),
    );
    expect(status(r)).toBe(0x0201);
    expect(login.failed).toBe(true);
  });
});
