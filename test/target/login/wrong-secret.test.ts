import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { answers, captureLogger, INITIATOR, makeEnv, makeTarget, md5ChapResponse, request, status, TARGET } from './helpers.js';

describe('CHAP with a wrong secret', () => {
  it('fails with 0x0201, closes, and logs one line naming the initiator', () => {
    const { logger, lines } = captureLogger();
    const login = new LoginNegotiator(makeEnv([makeTarget({ chap: { user: 'alice', secret: 'right-secret-1' } })]), { logger });
    login.step(request({ csg: 0, nsg: 1, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET, AuthMethod: 'CHAP' } }));
    const c = answers(login.step(request({ csg: 0, nsg: 1, keys: { CHAP_A: '5' } })));
    const r = login.step(request({ csg: 0, nsg: 1, transit: true, keys: { CHAP_N: 'alice', CHAP_R: md5ChapResponse(c.CHAP_I!, 'wrong-secret-1', c.CHAP_C!) } }));
    expect(status(r)).toBe(0x0201);
    expect(r.transit).toBe(false);
    expect(r.data.length).toBe(0);
    expect(login.failed).toBe(true);
    expect(login.done).toBe(false);
    expect(login.outcome).toBeUndefined();
    const failures = lines().filter((l) => l.level === 40);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ initiator: INITIATOR, target: TARGET, status: '0x0201' });
    expect(String(failures[0]!.msg)).toMatch(/wrong CHAP response/);
  });

  it('refuses every later request once failed', () => {
    const login = new LoginNegotiator(makeEnv([makeTarget({ chap: { user: 'alice', secret: 'right-secret-1' } })]));
    login.step(request({ csg: 0, nsg: 1, keys: { InitiatorName: INITIATOR, TargetName: TARGET, AuthMethod: 'None' } }));
    expect(login.failed).toBe(true);
    expect(status(login.step(request({ csg: 0, nsg: 1, keys: {} })))).toBe(0x0200);
  });
});
