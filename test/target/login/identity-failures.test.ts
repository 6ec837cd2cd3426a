import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { INITIATOR, makeEnv, makeTarget, request, status, TARGET } from './helpers.js';

function firstStatus(keys: Record<string, string>, env = makeEnv(), tsih = 0): number {
  const login = new LoginNegotiator(env);
  const reply = login.step(request({ csg: 1, nsg: 3, transit: true, tsih, keys }));
  return login.failed ? status(reply) : 0;
}

describe('first request identity checks', () => {
  it('missing InitiatorName is a missing parameter', () => {
    expect(firstStatus({ TargetName: TARGET })).toBe(0x0207);
  });

  it('missing TargetName in a normal session is a missing parameter', () => {
    expect(firstStatus({ InitiatorName: INITIATOR })).toBe(0x0207);
  });

  it('unknown target is Not Found', () => {
    expect(firstStatus({ InitiatorName: INITIATOR, TargetName: 'iqn.2024-01.org.example:nope' })).toBe(0x0203);
  });

  it('initiator outside the allow list is an authorization failure', () => {
    const env = makeEnv([makeTarget({ allow: ['iqn.2024-01.org.example:other'] })]);
    expect(firstStatus({ InitiatorName: INITIATOR, TargetName: TARGET }, env)).toBe(0x0202);
    const allowed = makeEnv([makeTarget({ allow: [INITIATOR] })]);
    expect(firstStatus({ InitiatorName: INITIATOR, TargetName: TARGET }, allowed)).toBe(0);
  });

  it('unknown SessionType is refused', () => {
    expect(firstStatus({ InitiatorName: INITIATOR, TargetName: TARGET, SessionType: 'Weird' })).toBe(0x0209);
  });

  it('a non-zero TSIH is left to the session binding (connection-reinstatement.test.ts)', () => {
    expect(firstStatus({ InitiatorName: INITIATOR, TargetName: TARGET }, makeEnv(), 5)).toBe(0);
  });

  it('changing the InitiatorName later is an initiator error', () => {
    const login = new LoginNegotiator(makeEnv());
    login.step(request({ csg: 0, nsg: 1, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET, AuthMethod: 'None' } }));
    const r = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { InitiatorName: 'iqn.2024-01.org.example:evil' } }));
    expect(status(r)).toBe(0x0200);
  });

  it('malformed key data is an initiator error', () => {
    const login = new LoginNegotiator(makeEnv());
    const r = login.step(request({ csg: 1, nsg: 3, transit: true, data: Buffer.from('InitiatorName') }));
    expect(status(r)).toBe(0x0200);
  });
});
