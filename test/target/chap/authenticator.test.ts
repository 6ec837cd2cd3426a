import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChapError, type ChapFailure } from '../../../src/iscsi/chap.js';
import { ChapAuthenticator } from '../../../src/target/chap-authenticator.js';

const CHAP = { user: 'alice', secret: 'initiator-secret' };
const MUTUAL = { user: 'target-user', secret: 'target-secret-x' };

function md5Response(id: number, secret: string, challenge: Buffer): string {
  return `0x${createHash('md5').update(Buffer.concat([Buffer.from([id]), Buffer.from(secret), challenge])).digest('hex')}`;
}

function challenged(auth: ChapAuthenticator, algorithms = '5'): { id: number; challenge: Buffer; algorithm: string } {
  const pairs = Object.fromEntries(auth.offerChallenge(algorithms).map((p) => [p.key, p.value]));
  return { algorithm: pairs.CHAP_A!, id: Number(pairs.CHAP_I), challenge: Buffer.from(pairs.CHAP_C!.slice(2), 'hex') };
}

function failureOf(fn: () => unknown): ChapFailure | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ChapError) return e.failure;
    throw e;
  }
  return undefined;
}

describe('ChapAuthenticator (target side)', () => {
  it('issues a fresh random challenge of at least 16 bytes in hex', () => {
    const a = challenged(new ChapAuthenticator({ chap: CHAP }));
    const b = challenged(new ChapAuthenticator({ chap: CHAP }));
    expect(a.algorithm).toBe('5');
    expect(a.challenge.length).toBeGreaterThanOrEqual(16);
    expect(a.challenge.equals(b.challenge)).toBe(false);
  });

  it('accepts the correct one-way response', () => {
    const auth = new ChapAuthenticator({ chap: CHAP });
    const { id, challenge } = challenged(auth);
    expect(auth.verify({ name: 'alice', response: md5Response(id, CHAP.secret, challenge) })).toEqual([]);
    expect(auth.authenticated).toBe(true);
  });

  it('accepts a base64-encoded response', () => {
    const auth = new ChapAuthenticator({ chap: CHAP });
    const { id, challenge } = challenged(auth);
    const b64 = Buffer.from(md5Response(id, CHAP.secret, challenge).slice(2), 'hex').toString('base64');
    auth.verify({ name: 'alice', response: `0b${b64}` });
    expect(auth.authenticated).toBe(true);
  });

  it('supports SHA-256 (CHAP_A=7) when preferred by the initiator', () => {
    const auth = new ChapAuthenticator({ chap: CHAP });
    const { id, challenge, algorithm } = challenged(auth, '7,5');
    expect(algorithm).toBe('7');
    const r = createHash('sha256').update(Buffer.concat([Buffer.from([id]), Buffer.from(CHAP.secret), challenge])).digest('hex');
    auth.verify({ name: 'alice', response: `0x${r}` });
    expect(auth.authenticated).toBe(true);
  });

  it.each([
    ['wrong secret', { name: 'alice', secret: 'not-the-secret' }, 'wrong-response'],
    ['wrong user', { name: 'mallory', secret: CHAP.secret }, 'wrong-user'],
  ])('refuses a %s', (_, who, failure) => {
    const auth = new ChapAuthenticator({ chap: CHAP });
    const { id, challenge } = challenged(auth);
    expect(failureOf(() => auth.verify({ name: who.name, response: md5Response(id, who.secret, challenge) }))).toBe(failure);
    expect(auth.authenticated).toBe(false);
  });

  it('answers mutual CHAP with our own credentials', () => {
    const auth = new ChapAuthenticator({ chap: CHAP, mutualChap: MUTUAL });
    const { id, challenge } = challenged(auth);
    const theirs = Buffer.alloc(16, 0x5a);
    const reply = auth.verify({ name: 'alice', response: md5Response(id, CHAP.secret, challenge), identifier: '77', challenge: `0x${theirs.toString('hex')}` });
    expect(reply).toEqual([
      { key: 'CHAP_N', value: MUTUAL.user },
      { key: 'CHAP_R', value: md5Response(77, MUTUAL.secret, theirs) },
    ]);
  });

  it('refuses a reflected challenge', () => {
    const auth = new ChapAuthenticator({ chap: CHAP, mutualChap: MUTUAL });
    const { id, challenge } = challenged(auth);
    const f = failureOf(() =>
      auth.verify({ name: 'alice', response: md5Response(id, CHAP.secret, challenge), identifier: String(id), challenge: `0x${challenge.toString('hex')}` }),
    );
    expect(f).toBe('reflection');
    expect(auth.authenticated).toBe(false);
  });

  it('refuses mutual CHAP when none is configured, and half a mutual request', () => {
    const a = new ChapAuthenticator({ chap: CHAP });
    const c = challenged(a);
    expect(failureOf(() => a.verify({ name: 'alice', response: md5Response(c.id, CHAP.secret, c.challenge), identifier: '1', challenge: '0x0102' }))).toBe(
      'mutual-unavailable',
    );
    const b = new ChapAuthenticator({ chap: CHAP, mutualChap: MUTUAL });
    const d = challenged(b);
    expect(failureOf(() => b.verify({ name: 'alice', response: md5Response(d.id, CHAP.secret, d.challenge), identifier: '1' }))).toBe('protocol');
  });

  it('enforces the exchange order and refuses unsupported algorithms', () => {
    const auth = new ChapAuthenticator({ chap: CHAP });
    expect(failureOf(() => auth.verify({ name: 'alice', response: '0x00' }))).toBe('protocol');
    expect(failureOf(() => auth.offerChallenge('1,2'))).toBe('unsupported-algorithm');
    challenged(auth);
    expect(failureOf(() => auth.offerChallenge('5'))).toBe('protocol');
  });
});
