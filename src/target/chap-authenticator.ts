import { randomBytes } from 'node:crypto';
import {
  ChapError,
  chapResponse,
  chooseChapAlgorithm,
  createChapChallenge,
  decodeChapBinary,
  encodeChapHex,
  parseChapIdentifier,
  type ChapAlgorithm,
  type ChapChallenge,
  type ChapCredentials,
  type RandomSource,
} from '../iscsi/chap.js';
import type { TextPair } from '../iscsi/text-keys.js';
import { constantTimeEqual } from './constant-time.js';

/** Bounds on an initiator-supplied challenge: enough to matter, never unbounded memory. */
export const MIN_PEER_CHALLENGE_BYTES = 1;
export const MAX_PEER_CHALLENGE_BYTES = 1024;

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
    // Both checks run, each in constant time (no early exit, no length leak), so neither the
    // user name nor the expected response can be found byte by byte from response times.
    const userMatches = constantTimeEqual(keys.name, this.credentials.chap.user);
    const responseMatches = this.expected(this.credentials.chap.secret, response);
    if (!userMatches) throw new ChapError('wrong-user', `unknown CHAP user ${JSON.stringify(keys.name)}`);
    if (!responseMatches) throw new ChapError('wrong-response', `wrong CHAP response for user ${JSON.stringify(keys.name)}`);
    const mutual = this.credentials.mutualChap;
    // RFC 7143 §9.2.1: a response equal to the one we would generate for this challenge is a
    // failure, so one secret never serves both directions (else our own answer to this
    // challenge, got on another connection, would pass as the initiator's).
    if (mutual && this.expected(mutual.secret, response)) {
      throw new ChapError('wrong-response', 'initiator CHAP secret equals the mutual CHAP secret the target answers with');
    }

    if (keys.identifier === undefined || keys.challenge === undefined) {
      this.state = 'authenticated';
      return [];
    }
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

  /** Whether `response` is the one `secret` gives for our challenge. */
  private expected(secret: string, response: Buffer): boolean {
    return constantTimeEqual(chapResponse(this.algorithm!, this.issued!.identifier, secret, this.issued!.challenge), response);
  }
}
