/**
 * CHAP (RFC 1994) as carried by iSCSI login keys (RFC 7143 §12.1.3).
 * Response = H(identifier-byte || secret || challenge). The target challenges the
 * initiator; with mutual CHAP the initiator's challenge comes along with its response
 * and we answer it with our own credentials.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ChapCredentials } from '../target/config.js';
import type { TextPair } from './text-keys.js';

/** CHAP_A algorithm numbers (IANA PPP auth algorithms) we can compute. */
export const CHAP_ALGORITHMS = {
  5: { hash: 'md5', digestBytes: 16 },
  6: { hash: 'sha1', digestBytes: 20 },
  7: { hash: 'sha256', digestBytes: 32 },
  8: { hash: 'sha3-256', digestBytes: 32 },
} as const;
export type ChapAlgorithm = keyof typeof CHAP_ALGORITHMS;

/** Bounds on an initiator-supplied challenge: enough to matter, never unbounded memory. */
export const MIN_PEER_CHALLENGE_BYTES = 1;
export const MAX_PEER_CHALLENGE_BYTES = 1024;

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

export interface ChapTargetCredentials {
  /** The initiator must prove it knows this. */
  chap: ChapCredentials;
  /** We prove we know this when the initiator challenges us. */
  mutualChap?: ChapCredentials;
}

/** The initiator's CHAP_N/CHAP_R and, for mutual CHAP, its CHAP_I/CHAP_C. */
export interface ChapResponseKeys {
  name?: string;
  response?: string;
  identifier?: string;
  challenge?: string;
}

/**
 * Target-side CHAP exchange: CHAP_A offer → our challenge → the initiator's response
 * (→ our mutual response). One instance per login.
 */
export class ChapAuthenticator {
  private algorithm: ChapAlgorithm | undefined;
  private issued: ChapChallenge | undefined;
  private state: 'await-algorithm' | 'await-response' | 'authenticated' = 'await-algorithm';

  constructor(
    private readonly credentials: ChapTargetCredentials,
    private readonly random: RandomSource = randomBytes,
  ) {}

  get authenticated(): boolean {
    return this.state === 'authenticated';
  }

  get awaiting(): 'algorithm' | 'response' | undefined {
    return this.state === 'await-algorithm' ? 'algorithm' : this.state === 'await-response' ? 'response' : undefined;
  }

  /** Answer CHAP_A with the chosen algorithm and our challenge. */
  offerChallenge(algorithmOffer: string): TextPair[] {
    if (this.state !== 'await-algorithm') throw new ChapError('protocol', 'CHAP_A sent twice');
    const algorithm = chooseChapAlgorithm(algorithmOffer);
    if (algorithm === undefined) {
      throw new ChapError('unsupported-algorithm', `no supported algorithm in CHAP_A=${algorithmOffer}`);
    }
    this.algorithm = algorithm;
    this.issued = createChapChallenge(algorithm, this.random);
    this.state = 'await-response';
    return [
      { key: 'CHAP_A', value: String(algorithm) },
      { key: 'CHAP_I', value: String(this.issued.identifier) },
      { key: 'CHAP_C', value: encodeChapHex(this.issued.challenge) },
    ];
  }

  /** Verify the initiator; returns our CHAP_N/CHAP_R when it challenged us, else nothing. */
  verify(keys: ChapResponseKeys): TextPair[] {
    if (this.state !== 'await-response' || !this.issued || this.algorithm === undefined) {
      throw new ChapError('protocol', 'CHAP response before a challenge was issued');
    }
    if (keys.name === undefined || keys.response === undefined) {
      throw new ChapError('protocol', 'CHAP_N and CHAP_R must be sent together');
    }
    if ((keys.identifier === undefined) !== (keys.challenge === undefined)) {
      throw new ChapError('protocol', 'mutual CHAP needs both CHAP_I and CHAP_C');
    }
    const response = decodeChapBinary(keys.response);
    // Same outcome and message for unknown user and wrong secret, so neither leaks which.
    const userMatches = keys.name === this.credentials.chap.user;
    const responseMatches = verifyChapResponse(
      this.algorithm,
      this.issued.identifier,
      this.credentials.chap.secret,
      this.issued.challenge,
      response,
    );
    if (!userMatches) throw new ChapError('wrong-user', `unknown CHAP user ${JSON.stringify(keys.name)}`);
    if (!responseMatches) throw new ChapError('wrong-response', `wrong CHAP response for user ${JSON.stringify(keys.name)}`);

    if (keys.identifier === undefined || keys.challenge === undefined) {
      this.state = 'authenticated';
      return [];
    }
    const mutual = this.credentials.mutualChap;
    if (!mutual) throw new ChapError('mutual-unavailable', 'initiator requested mutual CHAP but none is configured');
    const identifier = parseChapIdentifier(keys.identifier);
    const challenge = decodeChapBinary(keys.challenge);
    if (challenge.length < MIN_PEER_CHALLENGE_BYTES || challenge.length > MAX_PEER_CHALLENGE_BYTES) {
      throw new ChapError('bad-encoding', `initiator CHAP_C of ${challenge.length} bytes`);
    }
    if (challenge.equals(this.issued.challenge)) {
      throw new ChapError('reflection', 'initiator reflected our own CHAP challenge');
    }
    this.state = 'authenticated';
    return [
      { key: 'CHAP_N', value: mutual.user },
      { key: 'CHAP_R', value: encodeChapHex(chapResponse(this.algorithm, identifier, mutual.secret, challenge)) },
    ];
  }
}
