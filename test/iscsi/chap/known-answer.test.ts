import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { answerChapChallenge, chapResponse, verifyChapResponse } from '../../../src/iscsi/chap.js';

const challenge16 = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
const challenge32 = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

describe('CHAP response known answers', () => {
  it('MD5 matches a vector computed with Python hashlib', () => {
    expect(chapResponse(5, 7, 'secretsecret', challenge16).toString('hex')).toBe('6ecf51cbe0f7ac32d9cd952f3fd639c0');
  });

  it('SHA-256 matches a vector computed with Python hashlib', () => {
    expect(chapResponse(7, 200, 'another-secret', challenge32).toString('hex')).toBe(
      '80decbd3956f3c2a6dcfaaedd8053132966e0300f749411fd3c2ea88b482a834',
    );
  });

  it('MD5 equals H(id || secret || challenge) computed directly with node:crypto', () => {
    const expected = createHash('md5').update(Buffer.concat([Buffer.from([0x2a]), Buffer.from('pässword'), challenge16])).digest();
    expect(chapResponse(5, 0x2a, 'pässword', challenge16).equals(expected)).toBe(true);
  });

  it('verification accepts the right response and refuses wrong or truncated ones', () => {
    const good = chapResponse(5, 1, 's3cret-s3cret', challenge16);
    expect(verifyChapResponse(5, 1, 's3cret-s3cret', challenge16, good)).toBe(true);
    expect(verifyChapResponse(5, 2, 's3cret-s3cret', challenge16, good)).toBe(false);
    expect(verifyChapResponse(5, 1, 'other', challenge16, good)).toBe(false);
    expect(verifyChapResponse(5, 1, 's3cret-s3cret', challenge16, good.subarray(0, 15))).toBe(false);
  });

  it('initiator helper answers a target challenge', () => {
    const pairs = answerChapChallenge('5', '7', `0x${challenge16.toString('hex')}`, { user: 'alice', secret: 'secretsecret' });
    expect(pairs).toEqual([
      { key: 'CHAP_N', value: 'alice' },
      { key: 'CHAP_R', value: '0x6ecf51cbe0f7ac32d9cd952f3fd639c0' },
    ]);
  });
});
