import { describe, expect, it } from 'vitest';
import { NegotiationError } from '../../../src/iscsi/negotiation.js';
import { answerMap, offer, targetNegotiator } from './helpers.js';

describe('FirstBurstLength <= MaxBurstLength', () => {
  it('clamps FirstBurstLength to MaxBurstLength offered in the same set, in either order', () => {
    const n = targetNegotiator({ firstBurstLength: 262144 });
    const reply = n.respond(offer({ FirstBurstLength: '131072', MaxBurstLength: '16384' }));
    expect(reply.map((p) => p.key)).toEqual(['FirstBurstLength', 'MaxBurstLength']);
    expect(answerMap(reply)).toEqual({ FirstBurstLength: '16384', MaxBurstLength: '16384' });
    expect(n.result().firstBurstLength).toBeLessThanOrEqual(n.result().maxBurstLength);
  });

  it('lowers the default FirstBurstLength when MaxBurstLength is below it', () => {
    const n = targetNegotiator();
    n.respond(offer({ MaxBurstLength: '4096' }));
    expect(n.result()).toMatchObject({ maxBurstLength: 4096, firstBurstLength: 4096 });
  });

  it('refuses a later MaxBurstLength below an agreed FirstBurstLength', () => {
    const n = targetNegotiator();
    n.respond(offer({ FirstBurstLength: '65536' }));
    expect(() => n.respond(offer({ MaxBurstLength: '8192' }))).toThrow(NegotiationError);
  });
});
