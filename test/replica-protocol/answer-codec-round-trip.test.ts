import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChallengeFormatError, decodeChallengeAnswers, encodeChallengeAnswers } from '../../src/replica-protocol/index.js';

describe('answer data codec', () => {
  it('round-trips in every allowed (algorithm, mode)', () => {
    const answers = (size: number) =>
      fc.array(fc.uint8Array({ minLength: size, maxLength: size }).map((a) => Buffer.from(a)), { maxLength: 30 });
    fc.assert(
      fc.property(
        fc.oneof(
          answers(32).map((a) => ({ algorithm: 0 as const, mode: 0 as const, answers: a })),
          answers(16).map((a) => ({ algorithm: 0 as const, mode: 1 as const, answers: a })),
          answers(32).map((a) => ({ algorithm: 1 as const, mode: 0 as const, answers: a })),
        ),
        (a) => {
          const b = encodeChallengeAnswers(a);
          expect(b.length).toBe(8 + a.answers.length * (a.mode === 0 ? 32 : 16));
          expect(decodeChallengeAnswers(b)).toEqual(a);
        },
      ),
    );
  });

  it('random bytes never throw anything but ChallengeFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        try {
          decodeChallengeAnswers(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(ChallengeFormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('an algorithm outside the defined ones, or XXH3-128 in reversible mode, is a format error', () => {
    const b = encodeChallengeAnswers({ algorithm: 0, mode: 1, answers: [Buffer.alloc(16)] });
    b[0] = 0x11;
    expect(() => decodeChallengeAnswers(b)).toThrow(ChallengeFormatError);
    b[0] = 0x21;
    expect(() => decodeChallengeAnswers(b)).toThrow(/unknown algorithm 2/);
  });

  it('a truncated answer list is an error, not a short list', () => {
    const b = encodeChallengeAnswers({ algorithm: 0, mode: 0, answers: [Buffer.alloc(32, 1), Buffer.alloc(32, 2)] });
    expect(() => decodeChallengeAnswers(b.subarray(0, b.length - 1))).toThrow(ChallengeFormatError);
  });
});
