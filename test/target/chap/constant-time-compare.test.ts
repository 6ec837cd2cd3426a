/**
 * CHAP_N and CHAP_R are compared in constant time (timingSafeEqual over equal-length
 * digests). Timing cannot be measured in a test: these check the helper's results, and that
 * the authenticator's comparisons of the name and the response go through it.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChapError, type ChapFailure } from '../../../src/iscsi/chap.js';

vi.mock('../../../src/target/constant-time.js', { spy: true });

const { constantTimeEqual } = await import('../../../src/target/constant-time.js');
const { ChapAuthenticator } = await import('../../../src/target/chap-authenticator.js');

const CHAP = { user: 'alice', secret: 'initiator-secret' };

function md5Response(id: number, secret: string, challenge: Buffer): Buffer {
  return createHash('md5').update(Buffer.concat([Buffer.from([id]), Buffer.from(secret), challenge])).digest();
}

function challenged(auth: InstanceType<typeof ChapAuthenticator>): { id: number; challenge: Buffer } {
  const pairs = Object.fromEntries(auth.offerChallenge('5').map((p) => [p.key, p.value]));
  return { id: Number(pairs.CHAP_I), challenge: Buffer.from(pairs.CHAP_C!.slice(2), 'hex') };
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

afterEach(() => {
  vi.mocked(constantTimeEqual).mockClear();
});

describe('constantTimeEqual', () => {
  it('is true for equal bytes and equal strings', () => {
    expect(constantTimeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual('alice', 'alice')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    // A string compares as its UTF-8 bytes.
    expect(constantTimeEqual('é', Buffer.from([0xc3, 0xa9]))).toBe(true);
  });

  it('is false for different bytes of the same length', () => {
    expect(constantTimeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual('alice', 'Alice')).toBe(false);
  });

  it('is false, without throwing, for different lengths (a prefix included)', () => {
    // timingSafeEqual itself throws on unequal lengths; the helper must not.
    expect(constantTimeEqual('alice', 'alice2')).toBe(false);
    expect(constantTimeEqual('alic', 'alice')).toBe(false);
    expect(constantTimeEqual(Buffer.alloc(16), Buffer.alloc(32))).toBe(false);
    expect(constantTimeEqual('', 'a')).toBe(false);
  });
});

describe('ChapAuthenticator compares CHAP_N and CHAP_R in constant time', () => {
  it('accepts the right name and response, and both went through constantTimeEqual', () => {
    const auth = new ChapAuthenticator({ chap: CHAP });
    const { id, challenge } = challenged(auth);
    const response = md5Response(id, CHAP.secret, challenge);
    auth.verify({ name: 'alice', response: `0x${response.toString('hex')}` });
    expect(auth.authenticated).toBe(true);
    const calls = vi.mocked(constantTimeEqual).mock.calls;
    expect(calls).toContainEqual(['alice', 'alice']);
    expect(calls.some(([a, b]) => Buffer.from(a).equals(response) || Buffer.from(b).equals(response))).toBe(true);
  });

  it('refuses a wrong name, of the same length or not, through constantTimeEqual', () => {
    for (const name of ['alicf', 'alic', 'alice-and-more']) {
      const auth = new ChapAuthenticator({ chap: CHAP });
      const { id, challenge } = challenged(auth);
      const response = `0x${md5Response(id, CHAP.secret, challenge).toString('hex')}`;
      vi.mocked(constantTimeEqual).mockClear();
      expect(failureOf(() => auth.verify({ name, response }))).toBe('wrong-user');
      expect(auth.authenticated).toBe(false);
      expect(vi.mocked(constantTimeEqual).mock.calls).toContainEqual([name, 'alice']);
    }
  });

  it('refuses a wrong response, of the same length or not, through constantTimeEqual', () => {
    for (const mangle of [(r: Buffer) => Buffer.from(r.map((b, i) => (i === 15 ? b ^ 1 : b))), (r: Buffer) => r.subarray(0, 15), (r: Buffer) => Buffer.concat([r, Buffer.from([0])])]) {
      const auth = new ChapAuthenticator({ chap: CHAP });
      const { id, challenge } = challenged(auth);
      const wrong = mangle(md5Response(id, CHAP.secret, challenge));
      vi.mocked(constantTimeEqual).mockClear();
      expect(failureOf(() => auth.verify({ name: 'alice', response: `0x${wrong.toString('hex')}` }))).toBe('wrong-response');
      expect(auth.authenticated).toBe(false);
      const calls = vi.mocked(constantTimeEqual).mock.calls;
      expect(calls.some(([a, b]) => Buffer.from(a).equals(wrong) || Buffer.from(b).equals(wrong))).toBe(true);
    }
  });
});
