/** A one-step login negotiator with fixed parameters, so transport tests do not depend on key negotiation. */
import type { TargetConfig } from '../../../../src/target/config.js';
import type { Negotiator } from '../../../../src/target/login-phase.js';
import type { LoginEnvironment, LoginOutcome, LoginStep, LoginStepReply } from '../../../../src/target/login-types.js';
import type { SessionParams } from '../../../../src/iscsi/session-params.js';

export const TEST_PARAMS: SessionParams = {
  headerDigest: false,
  dataDigest: false,
  maxSendDataSegmentLength: 1024,
  maxRecvDataSegmentLength: 8192,
  maxBurstLength: 2048,
  firstBurstLength: 1024,
  initialR2T: true,
  immediateData: true,
  maxOutstandingR2T: 1,
  dataPDUInOrder: true,
  dataSequenceInOrder: true,
  defaultTime2Wait: 2,
  defaultTime2Retain: 0,
  maxConnections: 1,
  errorRecoveryLevel: 0,
};

export function fakeNegotiatorFactory(params: Partial<SessionParams> = {}) {
  return (env: LoginEnvironment): Negotiator => new FakeNegotiator(env, { ...TEST_PARAMS, ...params });
}

class FakeNegotiator implements Negotiator {
  done = false;
  failed = false;
  outcome?: LoginOutcome;

  constructor(
    private readonly env: LoginEnvironment,
    private readonly params: SessionParams,
  ) {}

  step(req: LoginStep): LoginStepReply {
    const keys = new Map(
      req.data
        .toString('utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
    );
    const discovery = keys.get('SessionType') === 'Discovery';
    const target: TargetConfig | undefined = discovery ? undefined : this.env.findTarget(keys.get('TargetName') ?? '');
    const reply = { csg: req.csg, nsg: 3, transit: true, continue: false, statusClass: 0, statusDetail: 0, data: Buffer.alloc(0) };
    if (!discovery && !target) {
      this.failed = true;
      return { ...reply, transit: false, nsg: 0, statusClass: 2, statusDetail: 3 };
    }
    this.done = true;
    this.outcome = {
      sessionType: discovery ? 'Discovery' : 'Normal',
      initiatorName: keys.get('InitiatorName') ?? 'iqn.unknown',
      target,
      params: this.params,
      // No security phase: the fake admits without CHAP.
      authentication: 'none',
    };
    return reply;
  }
}
