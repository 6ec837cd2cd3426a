import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALGORITHM_DIGEST,
  ChallengeAlgorithm,
  ChallengeMode,
  DEFINED_ALGORITHMS,
  algorithmNamed,
  challengeAlgorithmsOf,
  chooseChallengeAlgorithm,
  digestBytes,
  modesOf,
} from '../../src/replica-protocol/index.js';

const codes = fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 16 });

describe('challenge algorithms', () => {
  it('the fastest shared one wins: XXH3-128 when every party has it, else SHA-256, else none', () => {
    fc.assert(
      fc.property(fc.array(codes, { minLength: 1, maxLength: 3 }), (parties) => {
        const all = (a: number) => parties.every((p) => p.includes(a));
        const expected = all(ChallengeAlgorithm.XXH3_128) ? ChallengeAlgorithm.XXH3_128 : all(ChallengeAlgorithm.SHA256) ? ChallengeAlgorithm.SHA256 : undefined;
        expect(chooseChallengeAlgorithm(...parties)).toBe(expected);
      }),
    );
  });

  it('names, digest sizes and modes', () => {
    expect(DEFINED_ALGORITHMS).toEqual([0, 1]);
    expect(DEFINED_ALGORITHMS.map((a) => ALGORITHM_DIGEST[a])).toEqual(['sha256', 'xxh3']);
    expect(DEFINED_ALGORITHMS.map((a) => algorithmNamed(ALGORITHM_DIGEST[a]))).toEqual([0, 1]);
    expect(algorithmNamed('XXH3')).toBeUndefined();
    expect(DEFINED_ALGORITHMS.map(digestBytes)).toEqual([32, 16]);
    expect(modesOf(ChallengeAlgorithm.SHA256)).toEqual([ChallengeMode.HMAC, ChallengeMode.REVERSIBLE]);
    expect(modesOf(ChallengeAlgorithm.XXH3_128)).toEqual([ChallengeMode.HMAC]);
    expect(challengeAlgorithmsOf(['xxh3', 'sha256', 'md5'])).toEqual([0, 1]);
    expect(challengeAlgorithmsOf(['sha256'])).toEqual([0]);
  });
});
