/**
 * The initiator's operational offer (RFC 7143 §13) and the parameters that result from
 * the target's answers. Key semantics come from the shared table in iscsi/negotiation.
 */
import { DEFAULT_SESSION_PARAMS, type SessionParams } from '../iscsi/session-params.js';
import {
  ANSWER_WORDS,
  KEY_TABLE,
  NegotiationError,
  ParameterNegotiator,
  parseNumber,
  resolveAnswer,
  type NegotiationPolicy,
} from '../iscsi/negotiation.js';
import type { TextPair } from '../iscsi/text-keys.js';

/** What this initiator is willing to do; the target can only lower the numbers. */
export interface InitiatorLimits {
  /** Largest data segment we accept from the target. */
  maxRecvDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  maxOutstandingR2T: number;
  /** Ask for unsolicited data (InitialR2T=No) and immediate data. */
  unsolicitedData: boolean;
  immediateData: boolean;
}

export const DEFAULT_INITIATOR_LIMITS: Readonly<InitiatorLimits> = Object.freeze({
  maxRecvDataSegmentLength: 256 * 1024,
  maxBurstLength: 1024 * 1024,
  firstBurstLength: 256 * 1024,
  maxOutstandingR2T: 8,
  unsolicitedData: true,
  immediateData: true,
});

export interface DigestPreference {
  /** true: insist on CRC32C; false: offer None only; 'prefer': CRC32C,None. */
  headerDigest: boolean | 'prefer';
  dataDigest: boolean | 'prefer';
}

function digestOffer(p: boolean | 'prefer'): string {
  return p === 'prefer' ? 'CRC32C,None' : p ? 'CRC32C' : 'None';
}

export function buildOffer(kind: 'Normal' | 'Discovery', limits: InitiatorLimits, digests: DigestPreference): TextPair[] {
  const pairs: TextPair[] = [
    { key: 'HeaderDigest', value: digestOffer(digests.headerDigest) },
    { key: 'DataDigest', value: digestOffer(digests.dataDigest) },
  ];
  if (kind === 'Normal') {
    pairs.push(
      { key: 'ErrorRecoveryLevel', value: '0' },
      { key: 'InitialR2T', value: limits.unsolicitedData ? 'No' : 'Yes' },
      { key: 'ImmediateData', value: limits.immediateData ? 'Yes' : 'No' },
      { key: 'MaxBurstLength', value: String(limits.maxBurstLength) },
      { key: 'FirstBurstLength', value: String(Math.min(limits.firstBurstLength, limits.maxBurstLength)) },
      { key: 'MaxOutstandingR2T', value: String(limits.maxOutstandingR2T) },
      { key: 'MaxConnections', value: '1' },
      { key: 'DataPDUInOrder', value: 'Yes' },
      { key: 'DataSequenceInOrder', value: 'Yes' },
    );
  }
  pairs.push(
    { key: 'DefaultTime2Wait', value: '2' },
    // ERL 0: nothing survives a dropped connection.
    { key: 'DefaultTime2Retain', value: '0' },
    { key: 'MaxRecvDataSegmentLength', value: String(limits.maxRecvDataSegmentLength) },
  );
  return pairs;
}

/** Our answers to keys the target offers on its own initiative, reusing the responder logic. */
export function initiatorPolicy(limits: InitiatorLimits, digests: DigestPreference): NegotiationPolicy {
  const list = (p: boolean | 'prefer'): string[] => (p === 'prefer' ? ['CRC32C', 'None'] : p ? ['CRC32C'] : ['None']);
  return {
    headerDigests: list(digests.headerDigest),
    dataDigests: list(digests.dataDigest),
    maxRecvDataSegmentLength: limits.maxRecvDataSegmentLength,
    maxBurstLength: limits.maxBurstLength,
    firstBurstLength: limits.firstBurstLength,
    maxOutstandingR2T: limits.maxOutstandingR2T,
    initialR2T: !limits.unsolicitedData,
    immediateData: limits.immediateData,
    dataPDUInOrder: true,
    dataSequenceInOrder: true,
    defaultTime2Wait: 2,
    defaultTime2Retain: 0,
    maxConnections: 1,
    errorRecoveryLevel: 0,
    protocolLevel: 1,
  };
}

/**
 * Accumulates the outcome of one login's operational negotiation: our offers resolved
 * against the target's answers, the target's declarations, and our answers to its offers.
 */
export class OfferTracker {
  private readonly params: SessionParams;
  private readonly offered = new Map<string, string>();
  private readonly responder: ParameterNegotiator;
  readonly targetInfo: { alias?: string; portalGroupTag?: number } = {};

  constructor(kind: 'Normal' | 'Discovery', limits: InitiatorLimits, digests: DigestPreference) {
    this.params = { ...DEFAULT_SESSION_PARAMS, maxRecvDataSegmentLength: limits.maxRecvDataSegmentLength };
    this.responder = new ParameterNegotiator('initiator', initiatorPolicy(limits, digests), kind);
  }

  noteOffered(pairs: readonly TextPair[]): void {
    for (const p of pairs) this.offered.set(p.key, p.value);
  }

  /**
   * Take in one login response's keys; returns the answers we owe the target for keys it
   * offered itself. Throws NegotiationError on an answer that breaks the key's rules.
   */
  absorb(pairs: readonly TextPair[]): TextPair[] {
    const owed: TextPair[] = [];
    for (const { key, value } of pairs) {
      const def = KEY_TABLE.get(key);
      if (key === 'TargetAlias') this.targetInfo.alias = value;
      else if (key === 'TargetPortalGroupTag') this.targetInfo.portalGroupTag = parseNumber(value);
      else if (key === 'MaxRecvDataSegmentLength') this.targetDeclaresRecvLength(value);
      else if (key === 'TargetAddress' || key === 'TargetName') continue;
      else if (this.offered.has(key)) this.resolve(key, this.offered.get(key)!, value);
      else if (def?.kind === 'security') continue;
      else owed.push(...this.answerTargetOffer(key, value));
    }
    return owed;
  }

  /** Parameters in force now. */
  result(): SessionParams {
    const p = { ...this.params };
    p.firstBurstLength = Math.min(p.firstBurstLength, p.maxBurstLength);
    return p;
  }

  private targetDeclaresRecvLength(value: string): void {
    const n = parseNumber(value);
    if (n === undefined || n < 512 || n > 16_777_215) throw new NegotiationError('MaxRecvDataSegmentLength', `target declared ${value}`);
    this.params.maxSendDataSegmentLength = n;
  }

  private answerTargetOffer(key: string, value: string): TextPair[] {
    const answers = this.responder.respond([{ key, value }]);
    for (const a of answers) if (!ANSWER_WORDS.has(a.value)) this.apply(a.key, a.value);
    return answers;
  }

  private resolve(key: string, offered: string, answer: string): void {
    const def = KEY_TABLE.get(key);
    if (!def) return;
    if (ANSWER_WORDS.has(answer)) {
      // The default stays in force; but a digest we insisted on cannot be refused.
      if ((key === 'HeaderDigest' || key === 'DataDigest') && offered === 'CRC32C') {
        throw new NegotiationError(key, `target refused ${key}=CRC32C (${answer})`);
      }
      return;
    }
    const value = resolveAnswer(def, offered, answer);
    if (value === undefined) throw new NegotiationError(key, `target answered ${key}=${answer} to our ${offered}`);
    if (def.kind === 'boolean-and' && offered === 'No' && value === 'Yes') {
      throw new NegotiationError(key, `target answered ${key}=Yes to our No`);
    }
    if (def.kind === 'boolean-or' && offered === 'Yes' && value === 'No') {
      throw new NegotiationError(key, `target answered ${key}=No to our Yes`);
    }
    this.apply(key, value);
  }

  private apply(key: string, value: string): void {
    const p = this.params;
    const n = parseNumber(value);
    switch (key) {
      case 'HeaderDigest':
        p.headerDigest = value === 'CRC32C';
        break;
      case 'DataDigest':
        p.dataDigest = value === 'CRC32C';
        break;
      case 'InitialR2T':
        p.initialR2T = value === 'Yes';
        break;
      case 'ImmediateData':
        p.immediateData = value === 'Yes';
        break;
      case 'DataPDUInOrder':
        p.dataPDUInOrder = value === 'Yes';
        break;
      case 'DataSequenceInOrder':
        p.dataSequenceInOrder = value === 'Yes';
        break;
      case 'MaxBurstLength':
        p.maxBurstLength = n!;
        break;
      case 'FirstBurstLength':
        p.firstBurstLength = n!;
        break;
      case 'MaxOutstandingR2T':
        p.maxOutstandingR2T = n!;
        break;
      case 'MaxConnections':
        p.maxConnections = n!;
        break;
      case 'DefaultTime2Wait':
        p.defaultTime2Wait = n!;
        break;
      case 'DefaultTime2Retain':
        p.defaultTime2Retain = n!;
        break;
      case 'ErrorRecoveryLevel':
        p.errorRecoveryLevel = n!;
        break;
    }
  }
}
