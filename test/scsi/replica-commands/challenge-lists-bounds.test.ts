import { describe, expect, it } from 'vitest';
import { SenseError } from '../../../src/scsi/sense.js';
import { ChallengeLists, type ChallengeList } from '../../../src/scsi/replica-commands/challenge-lists.js';

const done = (): ChallengeList => ({ state: 'done', answers: Buffer.alloc(8), settled: Promise.resolve() });
const hashing = (): ChallengeList => ({ state: 'hashing', settled: new Promise(() => {}) });

function refusal(f: () => void): [number, number] | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(SenseError);
    return [...(e as SenseError).asc] as [number, number];
  }
}

describe('outstanding challenge lists', () => {
  it('bounds lists per nexus and per LU with INSUFFICIENT RESOURCES while they are hashing', () => {
    const lists = new ChallengeLists(2, 3);
    for (const [n, id] of [['a', 1], ['a', 2], ['b', 1]] as const) {
      expect(refusal(() => lists.makeRoom(n, id))).toBeUndefined();
      lists.add(n, id, hashing());
    }
    expect(refusal(() => lists.checkRoom('a', 3))).toEqual([0x55, 0x03]); // nexus full
    expect(refusal(() => lists.makeRoom('a', 3))).toEqual([0x55, 0x03]);
    expect(refusal(() => lists.checkRoom('c', 1))).toEqual([0x55, 0x03]); // LU full
    expect(lists.size).toBe(3);
  });

  it('a nexus at its bound gives up its oldest finished list (abandoned), never one still hashing', () => {
    const lists = new ChallengeLists(3, 64);
    const [first, second, third] = [hashing(), done(), done()];
    lists.add('a', 1, first);
    lists.add('a', 2, second);
    lists.add('a', 3, third);
    // Asking changes nothing; making room drops list 2, the oldest finished.
    expect(refusal(() => lists.checkRoom('a', 4))).toBeUndefined();
    expect(lists.size).toBe(3);
    lists.makeRoom('a', 4);
    lists.add('a', 4, hashing());
    expect([1, 2, 3, 4].map((id) => lists.get('a', id))).toEqual([first, undefined, third, lists.get('a', 4)]);
    expect(lists.size).toBe(3);
    lists.makeRoom('a', 5);
    lists.add('a', 5, hashing());
    expect(lists.get('a', 3)).toBeUndefined();
    // All hashing now: nothing to give up.
    expect(refusal(() => lists.makeRoom('a', 6))).toEqual([0x55, 0x03]);
  });

  it('a nexus under its own bound gives nothing up when the LU is full', () => {
    const lists = new ChallengeLists(4, 3);
    lists.add('a', 1, done());
    lists.add('b', 1, done());
    lists.add('b', 2, done());
    expect(refusal(() => lists.makeRoom('a', 2))).toEqual([0x55, 0x03]);
    expect(lists.get('a', 1)).toBeDefined();
    expect(refusal(() => lists.makeRoom('a', 1))).toBeUndefined(); // replacing a finished list takes no room
  });

  it('a list still hashing cannot be replaced (OPERATION IN PROGRESS)', () => {
    const lists = new ChallengeLists();
    lists.add('a', 7, hashing());
    expect(refusal(() => lists.checkRoom('a', 7))).toEqual([0x00, 0x16]);
  });

  it('remove only takes the registered list; forgetNexus frees all of a nexus’s room', () => {
    const lists = new ChallengeLists(4, 4);
    const first = done();
    lists.add('a', 1, first);
    const second = done();
    lists.add('a', 1, second);
    lists.remove('a', 1, first);
    expect(lists.get('a', 1)).toBe(second);
    lists.add('a', 2, done());
    lists.add('b', 1, done());
    expect(lists.size).toBe(3);
    lists.forgetNexus('a');
    expect(lists.size).toBe(1);
    expect(lists.get('a', 2)).toBeUndefined();
    expect(lists.get('b', 1)).toBeDefined();
  });
});
