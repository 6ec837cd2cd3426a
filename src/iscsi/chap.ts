/**
 * CHAP (RFC 1994) as carried by iSCSI login keys (RFC 7143 §12.1.3): the computations both
 * sides share. Response = H(identifier-byte || secret || challenge). The target challenges
 * the initiator; with mutual CHAP the initiator's challenge comes along with its response
 * and the target answers it. The exchanges are target/chap-authenticator.ts and
 * initiator/chap-client.ts.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TextPair } from './text-keys.js';

export interface ChapCredentials {
  user: string;
  secret: string;
}

/** CHAP_A algorithm numbers (IANA PPP auth algorithms) we can compute. */
export const CHAP_ALGORITHMS = {
  5: { hash: 'md5', digestBytes: 16 },
  6: { hash: 'sha1', digestBytes: 20 },
  7: { hash: 'sha256', digestBytes: 32 },
  8: { hash: 'sha3-256', digestBytes: 32 },
} as const;
export type ChapAlgorithm = keyof typeof CHAP_ALGORITHMS;

export type ChapFailure =
  /** None of the offered CHAP_A values is one we implement. */
  | 'unsupported-algorithm'
  /** Keys missing, repeated, or out of order. */
  | 'protocol'
  /** A value is not a valid number / binary encoding. */
  | 'bad-encoding'
  | 'wrong-user'
  | 'wrong-response'
  /** The initiator sent back our own challenge (reflection attack). */
  | 'reflection'
  /** The initiator asked us to authenticate but no mutual credentials are configured. */
  | 'mutual-unavailable';

export class ChapError extends Error {
  constructor(
    readonly failure: ChapFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ChapError';
  }
}

/** First algorithm in the offer (the offerer's preference order) that we support. */
export function chooseChapAlgorithm(offer: string, supported: readonly ChapAlgorithm[] = [5, 7, 8, 6]): ChapAlgorithm | undefined {
  for (const item of offer.split(',')) {
    const n = /^[0-9]{1,3}$/.test(item) ? Number(item) : NaN;
    if ((supported as readonly number[]).includes(n)) return n as ChapAlgorithm;
  }
  return undefined;
}

/** Decode an RFC 7143 §6.1 binary value: `0x` hex (odd length allowed) or `0b` base64. */
export function decodeChapBinary(value: string): Buffer {
  const prefix = value.slice(0, 2).toLowerCase();
  const body = value.slice(2);
  if (prefix === '0x') {
    if (!/^[0-9a-fA-F]+$/.test(body)) throw new ChapError('bad-encoding', 'invalid hex binary value');
    return Buffer.from(body.length % 2 ? `0${body}` : body, 'hex');
  }
  if (prefix === '0b') {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 === 1) {
      throw new ChapError('bad-encoding', 'invalid base64 binary value');
    }
    return Buffer.from(body, 'base64');
  }
  throw new ChapError('bad-encoding', 'binary value must start with 0x or 0b');
}

export function encodeChapHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** CHAP_I: a number 0..255, decimal or 0x-hex. */
export function parseChapIdentifier(value: string): number {
  let n = NaN;
  if (/^[0-9]{1,3}$/.test(value)) n = Number(value);
  else if (/^0[xX][0-9a-fA-F]{1,2}$/.test(value)) n = Number.parseInt(value.slice(2), 16);
  if (!(n >= 0 && n <= 255)) throw new ChapError('bad-encoding', `invalid CHAP_I ${JSON.stringify(value)}`);
  return n;
}

export function chapResponse(algorithm: ChapAlgorithm, identifier: number, secret: string, challenge: Uint8Array): Buffer {
  return createHash(CHAP_ALGORITHMS[algorithm].hash)
    .update(Uint8Array.of(identifier & 0xff))
    .update(secret, 'utf8')
    .update(challenge)
    .digest();
}

/** Constant-time check; a response of the wrong length fails without comparing. */
export function verifyChapResponse(
  algorithm: ChapAlgorithm,
  identifier: number,
  secret: string,
  challenge: Uint8Array,
  response: Uint8Array,
): boolean {
  const expected = chapResponse(algorithm, identifier, secret, challenge);
  return response.length === expected.length && timingSafeEqual(expected, response);
}

export interface ChapChallenge {
  identifier: number;
  challenge: Buffer;
}

export type RandomSource = (size: number) => Buffer;

export function createChapChallenge(algorithm: ChapAlgorithm, random: RandomSource = randomBytes): ChapChallenge {
  const size = Math.max(16, CHAP_ALGORITHMS[algorithm].digestBytes);
  return { identifier: random(1)[0]!, challenge: random(size) };
}

/** Initiator side: the CHAP_N/CHAP_R pair answering a target's CHAP_A/CHAP_I/CHAP_C. */
export function answerChapChallenge(
  algorithmValue: string,
  identifierValue: string,
  challengeValue: string,
  credentials: ChapCredentials,
): TextPair[] {
  const algorithm = chooseChapAlgorithm(algorithmValue);
  if (algorithm === undefined || algorithmValue.includes(',')) {
    throw new ChapError('unsupported-algorithm', `unsupported CHAP_A ${JSON.stringify(algorithmValue)}`);
  }
  const identifier = parseChapIdentifier(identifierValue);
  const challenge = decodeChapBinary(challengeValue);
  return [
    { key: 'CHAP_N', value: credentials.user },
    { key: 'CHAP_R', value: encodeChapHex(chapResponse(algorithm, identifier, credentials.secret, challenge)) },
  ];
}
