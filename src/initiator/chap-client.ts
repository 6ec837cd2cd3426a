/**
 * Initiator side of CHAP (RFC 7143 §12.1.3): answer the target's challenge and, for
 * mutual CHAP, challenge the target and check its answer in constant time.
 */
import { randomBytes } from 'node:crypto';
import {
  ChapError,
  answerChapChallenge,
  chooseChapAlgorithm,
  createChapChallenge,
  decodeChapBinary,
  encodeChapHex,
  verifyChapResponse,
  type ChapAlgorithm,
  type ChapChallenge,
  type ChapCredentials,
} from '../iscsi/chap.js';
import type { TextPair } from '../iscsi/text-keys.js';
import { IscsiAuthenticationError, IscsiLoginError } from './errors.js';

/** MD5: the one algorithm every target (tgt, LIO, Windows) implements. */
export const CHAP_OFFER = '5';

export class ChapClient {
  private algorithm: ChapAlgorithm | undefined;
  private ourChallenge: ChapChallenge | undefined;

  constructor(
    private readonly credentials: ChapCredentials,
    private readonly mutual: ChapCredentials | undefined,
  ) {}

  /** The target's CHAP_A/CHAP_I/CHAP_C → our CHAP_N/CHAP_R (+ CHAP_I/CHAP_C when mutual). */
  respond(keys: ReadonlyMap<string, string>): TextPair[] {
    const a = keys.get('CHAP_A');
    const i = keys.get('CHAP_I');
    const c = keys.get('CHAP_C');
    if (a === undefined || i === undefined || c === undefined) {
      throw new IscsiLoginError('target chose CHAP but did not send CHAP_A, CHAP_I and CHAP_C', 0, 0);
    }
    let answer: TextPair[];
    let theirChallenge: Buffer;
    try {
      answer = answerChapChallenge(a, i, c, this.credentials);
      theirChallenge = decodeChapBinary(c);
    } catch (e) {
      if (e instanceof ChapError) throw new IscsiLoginError(`bad CHAP challenge from target: ${e.message}`, 0, 0);
      throw e;
    }
    this.algorithm = chooseChapAlgorithm(a)!;
    if (!this.mutual) return answer;
    // Never hand the target its own challenge back (a reflected challenge proves nothing).
    let ours = createChapChallenge(this.algorithm);
    while (ours.challenge.equals(theirChallenge)) ours = createChapChallenge(this.algorithm, randomBytes);
    this.ourChallenge = ours;
    return [
      ...answer,
      { key: 'CHAP_I', value: String(ours.identifier) },
      { key: 'CHAP_C', value: encodeChapHex(ours.challenge) },
    ];
  }

  /** After the target's final security response: with mutual CHAP, it must prove the shared secret. */
  verifyTarget(keys: ReadonlyMap<string, string>): void {
    if (!this.mutual) return;
    if (!this.ourChallenge || this.algorithm === undefined) {
      throw new IscsiAuthenticationError('mutual CHAP required but the target skipped the CHAP exchange');
    }
    const name = keys.get('CHAP_N');
    const response = keys.get('CHAP_R');
    if (name === undefined || response === undefined) {
      throw new IscsiAuthenticationError('target did not answer our mutual CHAP challenge');
    }
    let bytes: Buffer;
    try {
      bytes = decodeChapBinary(response);
    } catch {
      throw new IscsiAuthenticationError('target sent a malformed CHAP_R');
    }
    const ok = verifyChapResponse(this.algorithm, this.ourChallenge.identifier, this.mutual.secret, this.ourChallenge.challenge, bytes);
    // Check both before deciding, so timing does not say which was wrong.
    if (!ok || name !== this.mutual.user) throw new IscsiAuthenticationError('target failed mutual CHAP authentication');
  }
}
