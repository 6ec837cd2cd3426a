import { describe, expect, it } from 'vitest';
import { NegotiationError } from '../../../src/iscsi/negotiation.js';
import { DEFAULT_SESSION_PARAMS } from '../../../src/iscsi/session-params.js';
import { LIMITS, offer, targetNegotiator } from './helpers.js';

describe('declarations and defaults', () => {
  it('uses RFC 7143 defaults for keys never offered', () => {
    expect(targetNegotiator().result()).toEqual(DEFAULT_SESSION_PARAMS);
    expect(DEFAULT_SESSION_PARAMS).toMatchObject({
      maxSendDataSegmentLength: 8192,
      maxBurstLength: 262144,
      firstBurstLength: 65536,
      initialR2T: true,
      immediateData: true,
      defaultTime2Wait: 2,
      defaultTime2Retain: 20,
    });
  });

  it("records the peer's MaxRecvDataSegmentLength as our send limit", () => {
    const n = targetNegotiator();
    n.respond(offer({ MaxRecvDataSegmentLength: '4096' }));
    expect(n.result().maxSendDataSegmentLength).toBe(4096);
    expect(n.result().maxRecvDataSegmentLength).toBe(8192);
  });

  it('declares our own MaxRecvDataSegmentLength exactly once', () => {
    const n = targetNegotiator();
    expect(n.declareRecvDataSegmentLength()).toEqual({ key: 'MaxRecvDataSegmentLength', value: String(LIMITS.maxRecvDataSegmentLength) });
    expect(n.declareRecvDataSegmentLength()).toBeUndefined();
    expect(n.result().maxRecvDataSegmentLength).toBe(LIMITS.maxRecvDataSegmentLength);
  });

  it.each(['100', 'big', '16777216'])('refuses an invalid MaxRecvDataSegmentLength %s', (v) => {
    expect(() => targetNegotiator().respond(offer({ MaxRecvDataSegmentLength: v }))).toThrow(NegotiationError);
  });
});
