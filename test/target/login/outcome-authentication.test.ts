/** What a completed login records of how the initiator authenticated (listed by `tandem sessions`). */
import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { answers, INITIATOR, LIBISCSI_OPERATIONAL, makeEnv, makeTarget, md5ChapResponse, request, status, TARGET } from './helpers.js';

const chap = { user: 'alice', secret: 'alice-secret-12' };
const mutualChap = { user: 'disk1-user', secret: 'target-secret-34' };
const NAMES = { InitiatorName: INITIATOR, TargetName: TARGET, SessionType: 'Normal' };

function operational(login: LoginNegotiator): void {
  const r = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { ...NAMES, ...LIBISCSI_OPERATIONAL } }));
  expect(status(r)).toBe(0);
  expect(login.done).toBe(true);
}

function chapLogin(mutual: boolean): LoginNegotiator {
  const login = new LoginNegotiator(makeEnv([makeTarget({ chap, ...(mutual ? { mutualChap } : {}) })]));
  login.step(request({ csg: 0, nsg: 1, transit: true, keys: { ...NAMES, AuthMethod: 'CHAP,None' } }));
  const c = answers(login.step(request({ csg: 0, nsg: 1, keys: { CHAP_A: '5' } })));
  const response = { CHAP_N: 'alice', CHAP_R: md5ChapResponse(c.CHAP_I!, chap.secret, c.CHAP_C!) };
  const r = login.step(request({ csg: 0, nsg: 1, transit: true, keys: mutual ? { ...response, CHAP_I: '7', CHAP_C: `0x${'5a'.repeat(16)}` } : response }));
  expect(status(r)).toBe(0);
  operational(login);
  return login;
}

describe('a login outcome names its authentication', () => {
  it('none without CHAP', () => {
    const login = new LoginNegotiator(makeEnv());
    expect(status(login.step(request({ csg: 0, nsg: 1, transit: true, keys: { ...NAMES, AuthMethod: 'None' } })))).toBe(0);
    operational(login);
    expect(login.outcome?.authentication).toBe('none');
  });

  it('none when the security stage is skipped', () => {
    const login = new LoginNegotiator(makeEnv());
    operational(login);
    expect(login.outcome?.authentication).toBe('none');
  });

  it('chap for one-way CHAP', () => {
    expect(chapLogin(false).outcome?.authentication).toBe('chap');
  });

  it('mutual-chap when the initiator challenged the target too', () => {
    expect(chapLogin(true).outcome?.authentication).toBe('mutual-chap');
  });
});
