/**
 * The entries per challenge list are bounded by the protocol (MAXIMUM ENTRIES PER LIST, 1024:
 * PARAMETER LIST LENGTH ≤ 8 + 32 × 1024, docs/vendor-commands.md §3), not only by what the
 * responder's C0h page claims: a page claiming more must not make verify build lists (and
 * hold their entries and answers) beyond it.
 */
import { describe, expect, it } from 'vitest';
import { ChallengeLimits, challengeVpdFor, type ChallengeAlgorithmCode, type ChallengeEntry } from '../../src/replica-protocol/index.js';
import type { IscsiUrl, ReconnectingSession } from '../../src/initiator/index.js';
import { verifyVolumes } from '../../src/verify/engine.js';
import { RemoteLun } from '../../src/verify/remote-lun.js';
import type { Reference } from '../../src/verify/reference.js';

const BLOCK = 512;
const BLOCKS = 64 * 1024;
const answer = Buffer.alloc(32);

class ClaimingLun extends RemoteLun {
  largest = 0;
  override async answers(entries: readonly ChallengeEntry[]): Promise<Buffer[]> {
    this.largest = Math.max(this.largest, entries.length);
    return entries.map(() => answer);
  }
}

describe('verify keeps challenge lists within the protocol limit', () => {
  it('a C0h page claiming a million entries per list still gets lists of at most 1024', async () => {
    const session = { stats: { bytesSent: 0, bytesReceived: 0, pdusSent: 0, pdusReceived: 0 } } as unknown as ReconnectingSession;
    const url = { host: 'h', port: 3260, targetName: 'iqn.2026-01.test:t', lun: 0 } as IscsiUrl;
    const vpd = { ...challengeVpdFor(BLOCK, [0]), maxEntriesPerList: 1_000_000 };
    const replica = new ClaimingLun(session, url, BLOCK, BLOCKS, vpd);
    const reference: Reference = {
      sizeBytes: BLOCKS * BLOCK,
      describe: 'reference',
      algorithms: [0],
      answers: async (entries: readonly ChallengeEntry[], _a: ChallengeAlgorithmCode) => entries.map(() => answer),
      allocation: async () => undefined,
      read: async () => Buffer.alloc(0),
      close: async () => {},
    };
    const report = await verifyVolumes({ reference, replica, chunkBytes: BLOCK, algorithm: 0 });
    expect(report.differingChunks).toBe(0);
    expect(report.chunksChecked).toBe(BLOCKS);
    expect(replica.largest).toBeGreaterThan(0);
    expect(replica.largest).toBeLessThanOrEqual(ChallengeLimits.MAX_ENTRIES_PER_LIST);
  });
});
