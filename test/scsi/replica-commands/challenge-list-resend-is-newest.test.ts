import { describe, expect, it } from 'vitest';
import { ChallengeLists, type ChallengeList } from '../../../src/scsi/replica-commands/challenge-lists.js';

const done = (): ChallengeList => ({ state: 'done', answers: Buffer.alloc(8), settled: Promise.resolve() });

// docs/vendor-commands.md §4: a SEND that finds its nexus at MAXIMUM OUTSTANDING LISTS PER
// I_T NEXUS drops the oldest finished, uncollected list of that nexus.
describe('challenge list sent again under the same ID', () => {
  it('becomes the newest list of its nexus, so making room drops an older one', () => {
    const lists = new ChallengeLists(3, 64);
    lists.add('a', 1, done());
    lists.add('a', 2, done());
    lists.add('a', 3, done());
    // List 1 is sent again, replacing the finished one.
    lists.makeRoom('a', 1);
    const fresh = done();
    lists.add('a', 1, fresh);
    // A fourth ID at the bound: the oldest finished list is now 2.
    lists.makeRoom('a', 4);
    lists.add('a', 4, done());
    expect(lists.get('a', 1)).toBe(fresh);
    expect(lists.get('a', 2)).toBeUndefined();
    expect(lists.get('a', 3)).toBeDefined();
    expect(lists.size).toBe(3);
  });
});
