/**
 * RFC 7143 §13: "Keys marked as Any-Stage may also appear in the SecurityNegotiation stage,
 * while all other keys described in this section are operational keys", negotiated
 * "starting immediately after the security negotiation" (§6.3.3). An operational key in the
 * security stage was negotiated and applied there, before the initiator had authenticated;
 * it now ends the login with 02 00, as a security key outside its stage does.
 */
import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { answers, captureLogger, INITIATOR, makeEnv, makeTarget, request, status, TARGET } from './helpers.js';

const IDENTITY = { InitiatorName: INITIATOR, TargetName: TARGET, SessionType: 'Normal' };

function negotiator(chap = false): LoginNegotiator {
  return new LoginNegotiator(makeEnv([makeTarget(chap ? { chap: { user: 'alice', secret: 'right-secret-1' } } : {})]), { logger: captureLogger().logger });
}

describe('an operational key in the security stage', () => {
  it.each([
    ['HeaderDigest', 'CRC32C'],
    ['DataDigest', 'CRC32C,None'],
    ['MaxRecvDataSegmentLength', '4096'],
    ['MaxBurstLength', '65536'],
    ['InitialR2T', 'No'],
    ['ErrorRecoveryLevel', '0'],
    ['IFMarker', 'No'],
  ])('%s ends the login with 02 00 (initiator error)', (key, value) => {
    const login = negotiator();
    const r = login.step(request({ csg: 0, nsg: 1, transit: true, keys: { ...IDENTITY, AuthMethod: 'None', [key]: value } }));
    expect(status(r)).toBe(0x0200);
    expect(r.data.length).toBe(0);
    expect(login.failed).toBe(true);
    expect(login.outcome).toBeUndefined();
  });

  it('ends a CHAP login too, in a later request of the stage', () => {
    const login = negotiator(true);
    expect(status(login.step(request({ csg: 0, nsg: 1, keys: { ...IDENTITY, AuthMethod: 'CHAP' } })))).toBe(0);
    const r = login.step(request({ csg: 0, nsg: 1, keys: { CHAP_A: '5', MaxConnections: '1' } }));
    expect(status(r)).toBe(0x0200);
    expect(login.failed).toBe(true);
  });

  it('the Any-Stage keys and unknown keys are still answered there', () => {
    const login = negotiator();
    const r = login.step(request({ csg: 0, nsg: 1, transit: true, keys: { ...IDENTITY, InitiatorAlias: 'host', AuthMethod: 'None', 'X-com.example.Thing': '1' } }));
    expect(status(r)).toBe(0);
    expect(answers(r)).toEqual({ TargetPortalGroupTag: '1', AuthMethod: 'None', 'X-com.example.Thing': 'NotUnderstood' });
  });

  it('the same keys negotiate in the operational stage that follows', () => {
    const login = negotiator();
    expect(status(login.step(request({ csg: 0, nsg: 1, transit: true, keys: { ...IDENTITY, AuthMethod: 'None' } })))).toBe(0);
    const r = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { HeaderDigest: 'CRC32C', MaxRecvDataSegmentLength: '4096', MaxBurstLength: '65536' } }));
    expect(status(r)).toBe(0);
    expect(answers(r)).toMatchObject({ HeaderDigest: 'CRC32C', MaxBurstLength: '65536' });
    expect(login.outcome?.params).toMatchObject({ headerDigest: true, maxSendDataSegmentLength: 4096, maxBurstLength: 65536 });
  });
});
