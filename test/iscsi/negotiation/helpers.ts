import { ParameterNegotiator, type NegotiationPolicy, type SessionKind } from '../../../src/iscsi/negotiation.js';
import { defaultTargetPolicy } from '../../../src/target/negotiation-policy.js';
import type { TextPair } from '../../../src/iscsi/text-keys.js';

export const LIMITS = { maxRecvDataSegmentLength: 65536, maxBurstLength: 262144, firstBurstLength: 65536, maxOutstandingR2T: 4 };

export function targetNegotiator(overrides: Partial<NegotiationPolicy> = {}, kind: SessionKind = 'Normal', leading = true): ParameterNegotiator {
  return new ParameterNegotiator('target', { ...defaultTargetPolicy(LIMITS), ...overrides }, kind, leading);
}

export function offer(record: Record<string, string>): TextPair[] {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

export function answerMap(pairs: TextPair[]): Record<string, string> {
  return Object.fromEntries(pairs.map((p) => [p.key, p.value]));
}
