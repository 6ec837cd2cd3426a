import { describe, expect, it } from 'vitest';
import { DEFAULT_INITIATOR_LIMITS, OfferTracker, buildOffer } from '../../src/initiator/operational-keys.js';
import { NegotiationError } from '../../src/iscsi/negotiation.js';

const digests = { headerDigest: 'prefer' as const, dataDigest: false };

function tracker() {
  const t = new OfferTracker('Normal', DEFAULT_INITIATOR_LIMITS, digests);
  t.noteOffered(buildOffer('Normal', DEFAULT_INITIATOR_LIMITS, digests));
  return t;
}

describe('operational negotiation (initiator side)', () => {
  it('takes the target answers and declarations', () => {
    const t = tracker();
    const owed = t.absorb([
      { key: 'HeaderDigest', value: 'CRC32C' },
      { key: 'DataDigest', value: 'None' },
      { key: 'InitialR2T', value: 'Yes' },
      { key: 'MaxBurstLength', value: '65536' },
      { key: 'FirstBurstLength', value: '16384' },
      { key: 'MaxRecvDataSegmentLength', value: '8192' },
      { key: 'TargetAlias', value: 'backup' },
    ]);
    expect(owed).toEqual([]);
    expect(t.result()).toMatchObject({
      headerDigest: true,
      dataDigest: false,
      initialR2T: true,
      maxBurstLength: 65536,
      firstBurstLength: 16384,
      maxSendDataSegmentLength: 8192,
      maxRecvDataSegmentLength: DEFAULT_INITIATOR_LIMITS.maxRecvDataSegmentLength,
    });
    expect(t.targetInfo.alias).toBe('backup');
  });

  it('refuses answers that break the key rules', () => {
    expect(() => tracker().absorb([{ key: 'MaxBurstLength', value: String(64 * 1024 * 1024) }])).toThrow(NegotiationError);
    expect(() => tracker().absorb([{ key: 'ImmediateData', value: 'Maybe' }])).toThrow(NegotiationError);
    expect(() => tracker().absorb([{ key: 'HeaderDigest', value: 'MD5' }])).toThrow(NegotiationError);
    expect(() => tracker().absorb([{ key: 'MaxRecvDataSegmentLength', value: '12' }])).toThrow(NegotiationError);
  });

  it('answers keys the target offers on its own', () => {
    const t = new OfferTracker('Normal', DEFAULT_INITIATOR_LIMITS, digests);
    const owed = t.absorb([
      { key: 'MaxOutstandingR2T', value: '64' },
      { key: 'X-vendor.thing', value: '1' },
    ]);
    expect(owed).toEqual([
      { key: 'MaxOutstandingR2T', value: String(DEFAULT_INITIATOR_LIMITS.maxOutstandingR2T) },
      { key: 'X-vendor.thing', value: 'NotUnderstood' },
    ]);
    expect(t.result().maxOutstandingR2T).toBe(DEFAULT_INITIATOR_LIMITS.maxOutstandingR2T);
  });
});
