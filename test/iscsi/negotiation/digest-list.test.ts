import { describe, expect, it } from 'vitest';
import { answerMap, offer, targetNegotiator } from './helpers.js';

describe('HeaderDigest / DataDigest (list)', () => {
  it.each([
    ['CRC32C,None', 'CRC32C', true],
    ['None,CRC32C', 'None', false],
    ['CRC32C', 'CRC32C', true],
    ['None', 'None', false],
    ['Bogus,CRC32C', 'CRC32C', true],
  ])('offer %s is answered %s', (offered, answer, enabled) => {
    const n = targetNegotiator();
    expect(answerMap(n.respond(offer({ HeaderDigest: offered, DataDigest: offered })))).toEqual({
      HeaderDigest: answer,
      DataDigest: answer,
    });
    expect(n.result().headerDigest).toBe(enabled);
    expect(n.result().dataDigest).toBe(enabled);
  });

  it('answers Reject when nothing offered is acceptable and keeps the default', () => {
    const n = targetNegotiator({ headerDigests: ['None'] });
    expect(answerMap(n.respond(offer({ HeaderDigest: 'CRC32C', DataDigest: 'Foo' })))).toEqual({
      HeaderDigest: 'Reject',
      DataDigest: 'Reject',
    });
    expect(n.result().headerDigest).toBe(false);
  });
});
