import { describe, expect, it } from 'vitest';
import { answerMap, offer, targetNegotiator } from './helpers.js';

describe('numeric keys', () => {
  it('minimum keys take the smaller of offer and ours', () => {
    const n = targetNegotiator();
    const a = answerMap(
      n.respond(offer({ MaxBurstLength: '1048576', MaxOutstandingR2T: '2', DefaultTime2Retain: '20', MaxConnections: '8', ErrorRecoveryLevel: '2' })),
    );
    expect(a).toEqual({ MaxBurstLength: '262144', MaxOutstandingR2T: '2', DefaultTime2Retain: '0', MaxConnections: '1', ErrorRecoveryLevel: '0' });
    expect(n.result()).toMatchObject({ maxBurstLength: 262144, maxOutstandingR2T: 2, defaultTime2Retain: 0, maxConnections: 1, errorRecoveryLevel: 0 });
  });

  it('DefaultTime2Wait takes the larger value', () => {
    const n = targetNegotiator();
    expect(answerMap(n.respond(offer({ DefaultTime2Wait: '0' })))).toEqual({ DefaultTime2Wait: '2' });
    const m = targetNegotiator();
    expect(answerMap(m.respond(offer({ DefaultTime2Wait: '30' })))).toEqual({ DefaultTime2Wait: '30' });
    expect(m.result().defaultTime2Wait).toBe(30);
  });

  it('accepts hex numbers', () => {
    const n = targetNegotiator();
    expect(answerMap(n.respond(offer({ MaxBurstLength: '0x1000' })))).toEqual({ MaxBurstLength: '4096' });
  });

  it.each([
    ['MaxBurstLength', '511'],
    ['MaxBurstLength', '16777216'],
    ['MaxOutstandingR2T', '0'],
    ['DefaultTime2Wait', '3601'],
    ['ErrorRecoveryLevel', '3'],
    ['MaxConnections', 'many'],
    ['FirstBurstLength', '-1'],
    ['MaxBurstLength', '1e6'],
    ['MaxBurstLength', ''],
    ['MaxBurstLength', '99999999999999999999999'],
  ])('%s=%s is rejected and the default stays', (name, value) => {
    const n = targetNegotiator();
    const before = n.result();
    expect(answerMap(n.respond(offer({ [name]: value })))).toEqual({ [name]: 'Reject' });
    expect(n.result()).toEqual(before);
  });
});
