import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { answers, INITIATOR, makeEnv, md5ChapResponse, request, status } from './helpers.js';

describe('discovery session login', () => {
  it('needs no TargetName, sends no TargetPortalGroupTag, and marks normal-only keys Irrelevant', () => {
    const login = new LoginNegotiator(makeEnv());
    const r = login.step(
      request({ csg: 1, nsg: 3, transit: true, keys: { InitiatorName: INITIATOR, SessionType: 'Discovery', MaxBurstLength: '262144', HeaderDigest: 'None' } }),
    );
    expect(status(r)).toBe(0);
    const a = answers(r);
    expect(a.TargetPortalGroupTag).toBeUndefined();
    expect(a).toMatchObject({ MaxBurstLength: 'Irrelevant', HeaderDigest: 'None' });
    expect(login.outcome).toMatchObject({ sessionType: 'Discovery', target: undefined });
  });

  it('uses discovery CHAP when configured', () => {
    const env = makeEnv(undefined, { discoveryChap: { chap: { user: 'disc', secret: 'discovery-secret' } } });
    const denied = new LoginNegotiator(env);
    expect(status(denied.step(request({ csg: 1, nsg: 3, transit: true, keys: { InitiatorName: INITIATOR, SessionType: 'Discovery' } })))).toBe(0x0201);

    const login = new LoginNegotiator(env);
    login.step(request({ csg: 0, nsg: 1, transit: true, keys: { InitiatorName: INITIATOR, SessionType: 'Discovery', AuthMethod: 'CHAP,None' } }));
    const c = answers(login.step(request({ csg: 0, nsg: 1, keys: { CHAP_A: '5' } })));
    const r = login.step(request({ csg: 0, nsg: 1, transit: true, keys: { CHAP_N: 'disc', CHAP_R: md5ChapResponse(c.CHAP_I!, 'discovery-secret', c.CHAP_C!) } }));
    expect(status(r)).toBe(0);
    expect(r.transit).toBe(true);
  });
});
