/**
 * RFC 7143 §9.2.1: a CHAP response equal to the one the receiver would itself generate for
 * the same challenge MUST be an authentication failure, so one secret never serves both
 * directions. With mutual CHAP configured with the initiator's secret, the initiator's
 * correct response is refused.
 */
import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { answers, INITIATOR, makeEnv, makeTarget, md5ChapResponse, request, status, TARGET } from '../login/helpers.js';

const SHARED = 'one-secret-for-both';

function respondToChallenge(mutualSecret: string): { status: number; failed: boolean } {
  const login = new LoginNegotiator(makeEnv([makeTarget({ chap: { user: 'alice', secret: SHARED }, mutualChap: { user: 'disk1', secret: mutualSecret } })]));
  login.step(request({ csg: 0, nsg: 1, transit: true, keys: { InitiatorName: INITIATOR, TargetName: TARGET, AuthMethod: 'CHAP' } }));
  const c = answers(login.step(request({ csg: 0, nsg: 1, keys: { CHAP_A: '5' } })));
  const r = login.step(
    request({
      csg: 0,
      nsg: 1,
      transit: true,
      keys: { CHAP_N: 'alice', CHAP_R: md5ChapResponse(c.CHAP_I!, SHARED, c.CHAP_C!), CHAP_I: '7', CHAP_C: `0x${'5a'.repeat(16)}` },
    }),
  );
  return { status: status(r), failed: login.failed };
}

describe('CHAP secret used in both directions', () => {
  it('a response the target would itself have generated is an authentication failure', () => {
    expect(respondToChallenge(SHARED)).toEqual({ status: 0x0201, failed: true });
  });

  it('the same response passes when the mutual secret differs', () => {
    expect(respondToChallenge('a-different-secret')).toEqual({ status: 0, failed: false });
  });
});
