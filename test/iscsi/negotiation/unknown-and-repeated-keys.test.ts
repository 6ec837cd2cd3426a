import { describe, expect, it } from 'vitest';
import { NegotiationError } from '../../../src/iscsi/negotiation.js';
import { answerMap, offer, targetNegotiator } from './helpers.js';

describe('unknown, extension and repeated keys', () => {
  it('answers NotUnderstood to X- extension and unknown keys, in offer order', () => {
    const n = targetNegotiator();
    const reply = n.respond(offer({ 'X-com.example.Foo': 'bar', Wibble: '1', 'X#org.example': 'y', ImmediateData: 'Yes' }));
    expect(reply).toEqual([
      { key: 'X-com.example.Foo', value: 'NotUnderstood' },
      { key: 'Wibble', value: 'NotUnderstood' },
      { key: 'X#org.example', value: 'NotUnderstood' },
      { key: 'ImmediateData', value: 'Yes' },
    ]);
  });

  it('refuses a key negotiated twice in one login', () => {
    const n = targetNegotiator();
    n.respond(offer({ MaxBurstLength: '65536' }));
    expect(() => n.respond(offer({ MaxBurstLength: '65536' }))).toThrow(NegotiationError);
  });

  it('refuses target-only keys from the initiator', () => {
    expect(() => targetNegotiator().respond(offer({ TargetPortalGroupTag: '1' }))).toThrow(NegotiationError);
    expect(() => targetNegotiator().respond(offer({ TargetAddress: '1.2.3.4:3260,1' }))).toThrow(NegotiationError);
  });

  it('refuses leading-only keys on a non-leading connection', () => {
    expect(() => targetNegotiator({}, 'Normal', false).respond(offer({ ErrorRecoveryLevel: '0' }))).toThrow(NegotiationError);
  });

  it('does not answer declaratives', () => {
    const n = targetNegotiator();
    expect(answerMap(n.respond(offer({ InitiatorAlias: 'host', MaxRecvDataSegmentLength: '16384' })))).toEqual({});
    // InitiatorAlias is an identity key in login; here it is just a declarative.
  });
});
