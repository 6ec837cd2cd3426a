import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { answers, INITIATOR, LIBISCSI_OPERATIONAL, makeEnv, makeTarget, request, status, TARGET } from './helpers.js';

describe('login without authentication', () => {
  it('libiscsi style: one operational request straight to full feature phase', () => {
    const login = new LoginNegotiator(makeEnv([makeTarget({ alias: 'disk one' })]));
    const reply = login.step(
      request({
        csg: 1,
        nsg: 3,
        transit: true,
        keys: { InitiatorName: INITIATOR, TargetName: TARGET, SessionType: 'Normal', ...LIBISCSI_OPERATIONAL },
      }),
    );
    expect(status(reply)).toBe(0);
    expect(reply).toMatchObject({ csg: 1, nsg: 3, transit: true });
    const a = answers(reply);
    expect(a).toMatchObject({
      TargetPortalGroupTag: '1',
      TargetAlias: 'disk one',
      HeaderDigest: 'None',
      DataDigest: 'None',
      InitialR2T: 'No',
      ImmediateData: 'Yes',
      MaxBurstLength: '262144',
      FirstBurstLength: '262144',
      ErrorRecoveryLevel: '0',
      MaxRecvDataSegmentLength: '262144',
      IFMarker: 'No',
    });
    expect(a.InitiatorName).toBeUndefined();
    expect(login.done).toBe(true);
    expect(login.failed).toBe(false);
    expect(login.outcome).toMatchObject({
      sessionType: 'Normal',
      initiatorName: INITIATOR,
      target: { iqn: TARGET },
      params: { maxSendDataSegmentLength: 262144, maxRecvDataSegmentLength: 262144, initialR2T: false, immediateData: true, defaultTime2Retain: 0 },
    });
  });

  it('open-iscsi style: security stage with AuthMethod=None, then operational stage', () => {
    const login = new LoginNegotiator(makeEnv());
    const first = login.step(
      request({ csg: 0, nsg: 1, transit: true, keys: { InitiatorName: INITIATOR, InitiatorAlias: 'host', TargetName: TARGET, SessionType: 'Normal', AuthMethod: 'CHAP,None' } }),
    );
    expect(status(first)).toBe(0);
    expect(first).toMatchObject({ csg: 0, nsg: 1, transit: true });
    expect(answers(first)).toEqual({ TargetPortalGroupTag: '1', AuthMethod: 'None' });
    expect(login.done).toBe(false);

    const second = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { HeaderDigest: 'CRC32C,None', MaxRecvDataSegmentLength: '8192' } }));
    expect(status(second)).toBe(0);
    expect(answers(second)).toEqual({ HeaderDigest: 'CRC32C', MaxRecvDataSegmentLength: '262144' });
    expect(login.outcome).toMatchObject({ initiatorAlias: 'host', params: { headerDigest: true, maxSendDataSegmentLength: 8192 } });
  });

  it('operational stage may take several requests; the target only transits when asked', () => {
    const login = new LoginNegotiator(makeEnv());
    const r1 = login.step(request({ csg: 1, nsg: 3, transit: false, keys: { InitiatorName: INITIATOR, TargetName: TARGET, ImmediateData: 'No' } }));
    expect(r1.transit).toBe(false);
    expect(login.done).toBe(false);
    // Resending identity keys with the same values is tolerated (libiscsi does it).
    const r2 = login.step(request({ csg: 1, nsg: 3, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET } }));
    expect(status(r2)).toBe(0);
    expect(r2.transit).toBe(true);
    expect(answers(r2)).toEqual({}); // MaxRecvDataSegmentLength was declared in r1 already
    expect(login.outcome?.params.immediateData).toBe(false);
  });
});
