/**
 * Data-In of CHALLENGE (one answer) and RECEIVE CHALLENGE ANSWERS (one per entry): an
 * 8-byte header (ALGORITHM/MODE, reserved, ANSWER LENGTH, ENTRY COUNT), then the answers
 * back to back, in entry order.
 */
import {
  ANSWER_HEADER_BYTES,
  DEFINED_ALGORITHMS,
  answerBytes,
  modesOf,
  type ChallengeAlgorithmCode,
  type ChallengeModeCode,
} from './constants.js';
import { ChallengeFormatError } from './errors.js';

export interface ChallengeAnswers {
  algorithm: ChallengeAlgorithmCode;
  mode: ChallengeModeCode;
  /** V (32 bytes) per entry in HMAC mode; R_B (16 bytes) per entry in reversible mode. */
  answers: Buffer[];
}

/** Header for `count` answers; the caller writes the answers after it (no concatenation copy). */
export function answerHeader(algorithm: ChallengeAlgorithmCode, mode: ChallengeModeCode, count: number, into: Buffer): void {
  into[0] = ((algorithm & 0x0f) << 4) | (mode & 0x0f);
  into[1] = 0;
  into.writeUInt16BE(answerBytes(mode), 2);
  into.writeUInt32BE(count, 4);
}

export function answersLength(mode: ChallengeModeCode, count: number): number {
  return ANSWER_HEADER_BYTES + count * answerBytes(mode);
}

export function encodeChallengeAnswers(a: ChallengeAnswers): Buffer {
  const size = answerBytes(a.mode);
  const b = Buffer.alloc(answersLength(a.mode, a.answers.length));
  answerHeader(a.algorithm, a.mode, a.answers.length, b);
  a.answers.forEach((v, i) => {
    if (v.length !== size) throw new RangeError(`answer ${i} must be ${size} bytes`);
    v.copy(b, ANSWER_HEADER_BYTES + i * size);
  });
  return b;
}

export function decodeChallengeAnswers(data: Buffer): ChallengeAnswers {
  if (data.length < ANSWER_HEADER_BYTES) throw new ChallengeFormatError(`answer data of ${data.length} bytes is shorter than its header`);
  const algorithm = data[0]! >> 4;
  const mode = data[0]! & 0x0f;
  if (!DEFINED_ALGORITHMS.includes(algorithm as ChallengeAlgorithmCode)) throw new ChallengeFormatError(`unknown algorithm ${algorithm}`);
  if (!modesOf(algorithm as ChallengeAlgorithmCode).includes(mode)) throw new ChallengeFormatError(`unknown mode ${mode} for algorithm ${algorithm}`);
  const size = data.readUInt16BE(2);
  if (size !== answerBytes(mode as ChallengeModeCode)) throw new ChallengeFormatError(`answer length ${size} does not suit mode ${mode}`);
  const count = data.readUInt32BE(4);
  if (data.length < ANSWER_HEADER_BYTES + count * size) {
    throw new ChallengeFormatError(`answer data truncated: ${count} answers need ${ANSWER_HEADER_BYTES + count * size} bytes, have ${data.length}`);
  }
  const answers: Buffer[] = new Array(count);
  for (let i = 0; i < count; i++) answers[i] = data.subarray(ANSWER_HEADER_BYTES + i * size, ANSWER_HEADER_BYTES + (i + 1) * size);
  return { algorithm: algorithm as ChallengeAlgorithmCode, mode: mode as ChallengeModeCode, answers };
}

