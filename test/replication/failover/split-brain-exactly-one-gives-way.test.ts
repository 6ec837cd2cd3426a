/**
 * The automatic split-brain policies name exactly one node: both nodes judge the same
 * figures (mirrored), ties included, to complementary verdicts; a node that decided to give
 * way is not overtaken by its own later writes in the figure its peer judges; and two nodes
 * that first each judged the other the loser (their counts crossed between their reads)
 * settle at a later bind with one of them giving way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SplitBrainArbiter } from '../../../src/replication/split-brain-arbiter.js';
import { splitBrainVictim, type SplitBrainPolicy, type SplitBrainSide } from '../../../src/replication/split-brain-policy.js';
import { PAIR_CHUNK, type Pair, syncedPair, writeChunks } from '../paired-nodes.js';

const DISCARDING: SplitBrainPolicy[] = ['discard-zero-changes', 'discard-least-changes', 'discard-younger-primary'];

/** Both nodes' verdicts on the same pair of sides, each seeing itself as `self`. */
function verdicts(policy: SplitBrainPolicy, a: SplitBrainSide, b: SplitBrainSide) {
  return { a: splitBrainVictim(policy, a, b), b: splitBrainVictim(policy, b, a) };
}

const flip = (v: 'self' | 'peer' | undefined) => (v === 'self' ? 'peer' : v === 'peer' ? 'self' : undefined);

describe('split-brain policy verdicts', () => {
  const sides: SplitBrainSide[] = [];
  for (const changedBytes of [0, 4096, 8192]) for (const since of [1000, 2000]) for (const current of [7n, 9n]) sides.push({ changedBytes, since, current });

  it.each(DISCARDING)('%s: the two nodes always agree on the loser', (policy) => {
    for (const a of sides) {
      for (const b of sides) {
        if (a.current === b.current) continue; // not a split brain: the currents differ
        const v = verdicts(policy, a, b);
        expect(v.b, JSON.stringify({ a, b }, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))).toBe(flip(v.a));
      }
    }
  });

  it.each([
    ['discard-least-changes', { changedBytes: 4096, since: 1000, current: 7n }, { changedBytes: 4096, since: 1000, current: 9n }],
    ['discard-least-changes', { changedBytes: 4096, since: 2000, current: 9n }, { changedBytes: 4096, since: 1000, current: 7n }],
    ['discard-younger-primary', { changedBytes: 0, since: 1000, current: 9n }, { changedBytes: 4096, since: 1000, current: 7n }],
    ['discard-zero-changes', { changedBytes: 0, since: 1000, current: 7n }, { changedBytes: 0, since: 1000, current: 9n }],
  ] as const)('%s: a tie still names exactly one node', (policy, a, b) => {
    const v = verdicts(policy, a, b);
    expect([v.a, v.b].filter((x) => x === 'self')).toHaveLength(1);
    expect([v.a, v.b].filter((x) => x === 'peer')).toHaveLength(1);
  });

  it('the tie-break is the younger generation, then the lower id', () => {
    expect(splitBrainVictim('discard-least-changes', { changedBytes: 1, since: 2000, current: 1n }, { changedBytes: 1, since: 1000, current: 2n })).toBe('self');
    expect(splitBrainVictim('discard-least-changes', { changedBytes: 1, since: 1000, current: 1n }, { changedBytes: 1, since: 1000, current: 2n })).toBe('self');
    expect(splitBrainVictim('discard-least-changes', { changedBytes: 1, since: 1000, current: 2n }, { changedBytes: 1, since: 1000, current: 1n })).toBe('peer');
  });

  it('disconnect names nobody, and discard-zero-changes nobody when both changed', () => {
    expect(verdicts('disconnect', { changedBytes: 0, since: 1, current: 1n }, { changedBytes: 0, since: 1, current: 2n })).toEqual({ a: undefined, b: undefined });
    expect(verdicts('discard-zero-changes', { changedBytes: 1, since: 1, current: 1n }, { changedBytes: 2, since: 1, current: 2n })).toEqual({ a: undefined, b: undefined });
  });
});

describe('a node that decided to give way', () => {
  it('reports the changed bytes it decided on, so its peer judging later does not give way too', () => {
    const a = new SplitBrainArbiter();
    const b = new SplitBrainArbiter();
    const policy = 'discard-least-changes';
    // a reads b's 2 chunks, has 1 itself: it gives way.
    expect(a.judge(policy, { changedBytes: 1 * PAIR_CHUNK, since: 1000, current: 7n }, { changedBytes: b.reported(9n, 2 * PAIR_CHUNK), since: 2000, current: 9n })).toBe('self');
    // Before its demotion lands, a takes three more chunks of writes; b judges now.
    const aReports = a.reported(7n, 4 * PAIR_CHUNK);
    expect(aReports).toBe(1 * PAIR_CHUNK);
    expect(b.judge(policy, { changedBytes: 2 * PAIR_CHUNK, since: 2000, current: 9n }, { changedBytes: aReports, since: 1000, current: 7n })).toBe('peer');
    // a keeps to its decision while it holds that generation, whatever its count.
    expect(a.judge(policy, { changedBytes: 4 * PAIR_CHUNK, since: 1000, current: 7n }, { changedBytes: 2 * PAIR_CHUNK, since: 2000, current: 9n })).toBe('self');
    // Given way (its current reverted to the common generation), it reports what it holds again.
    expect(a.reported(5n, 4 * PAIR_CHUNK)).toBe(4 * PAIR_CHUNK);
  });

  it('a policy change drops the decision', () => {
    const a = new SplitBrainArbiter();
    expect(a.judge('discard-least-changes', { changedBytes: 1, since: 1, current: 7n }, { changedBytes: 2, since: 1, current: 9n })).toBe('self');
    a.reset();
    expect(a.reported(7n, 5)).toBe(5);
    expect(a.judge('disconnect', { changedBytes: 1, since: 1, current: 7n }, { changedBytes: 2, since: 1, current: 9n })).toBe(undefined);
  });
});

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe('discard-least-changes between two nodes whose counts crossed between their reads', () => {
  it('ends with exactly one of them giving way', async () => {
    pair = await syncedPair({ afterSplitBrain: 'discard-least-changes' });
    const p = pair;
    const { a, b } = p;
    p.partitioned = true;
    await p.tickUntil(() => a.device.status().state === 'delta');
    await writeChunks(a.device, [1], 0xaa);
    p.clock.now += 5000;
    await b.device.promote(true);
    await writeChunks(b.device, [2, 3], 0xbb);
    p.partitioned = false;
    // b binds first: its 2 chunks against a's 1, a should give way.
    p.clock.now += 1000;
    await b.device.tick();
    expect(b.device.status().state).toBe('split-brain');
    expect(b.log.events('split-brain').at(-1)).toMatchObject({ victim: 'peer' });
    // a takes two more chunks before it binds: its 3 against b's 2, b should give way.
    await writeChunks(a.device, [4, 5], 0xaa);
    p.clock.now += 1000;
    await a.device.tick();
    expect(a.log.events('split-brain').at(-1)).toMatchObject({ victim: 'peer' });
    // Judged again at later binds on figures that agree now: b (2 < 3) gives way, a does not.
    const aImage = await a.image();
    await p.tickUntil(() => b.device.status().role === 'backup' && a.device.status().state === 'continuous', 30);
    expect(b.device.status().role).toBe('backup');
    expect(a.device.status().role).toBe('primary');
    expect(a.device.status().state).toBe('continuous');
    expect((await b.image()).equals(aImage)).toBe(true);
    expect(a.log.events('split-brain-resolved')).toHaveLength(0);
    expect(b.log.events('split-brain-resolved')).toHaveLength(1);
  });
});
