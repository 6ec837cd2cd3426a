import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { replicatorMatcher } from '../../src/cli/replicator-match.js';
import type { Nexus } from '../../src/scsi/types.js';

const nexusOf = (initiatorName: string): Nexus => ({ id: `${initiatorName},i,0x000000000001|t`, initiatorName, isid: '000000000001', targetName: 't', tpgt: 1, relativePortId: 1 });

describe('replicatorMatcher', () => {
  it('knows the replicator whatever the case of either name, and no one else', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^iqn\.[a-zA-Z0-9.:-]{1,30}$/), fc.stringMatching(/^iqn\.[a-zA-Z0-9.:-]{1,30}$/), (replicator, other) => {
        const isReplicator = replicatorMatcher(replicator.toUpperCase());
        expect(isReplicator(nexusOf(replicator))).toBe(true);
        expect(isReplicator(nexusOf(replicator.toLowerCase()))).toBe(true);
        expect(isReplicator(nexusOf(other))).toBe(other.toLowerCase() === replicator.toLowerCase());
      }),
    );
  });

  it('answers the same for a session asked again, and each session for its own name', () => {
    const isReplicator = replicatorMatcher('iqn.2026-01.example:primary');
    const host = nexusOf('iqn.2026-01.example:host');
    const primary = nexusOf('IQN.2026-01.EXAMPLE:PRIMARY');
    for (let i = 0; i < 3; i++) {
      expect(isReplicator(host)).toBe(false);
      expect(isReplicator(primary)).toBe(true);
    }
  });

  it('knows no replicator when none is configured', () => {
    expect(replicatorMatcher(undefined)(nexusOf('iqn.2026-01.example:primary'))).toBe(false);
  });
});
