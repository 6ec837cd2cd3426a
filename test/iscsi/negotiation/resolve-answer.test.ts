import { describe, expect, it } from 'vitest';
import { KEY_TABLE, resolveAnswer } from '../../../src/iscsi/negotiation.js';

const def = (name: string) => KEY_TABLE.get(name)!;

describe('resolveAnswer (initiator side of the same table)', () => {
  it('accepts a list answer only if it was offered', () => {
    expect(resolveAnswer(def('HeaderDigest'), 'None,CRC32C', 'CRC32C')).toBe('CRC32C');
    expect(resolveAnswer(def('HeaderDigest'), 'None', 'CRC32C')).toBeUndefined();
  });

  it('refuses a numeric answer on the wrong side of the offer', () => {
    expect(resolveAnswer(def('MaxBurstLength'), '262144', '65536')).toBe('65536');
    expect(resolveAnswer(def('MaxBurstLength'), '65536', '262144')).toBeUndefined();
    expect(resolveAnswer(def('DefaultTime2Wait'), '2', '1')).toBeUndefined();
    expect(resolveAnswer(def('DefaultTime2Wait'), '2', '5')).toBe('5');
  });

  it('leaves the default in force after Reject or NotUnderstood', () => {
    expect(resolveAnswer(def('ImmediateData'), 'Yes', 'Reject')).toBeUndefined();
    expect(resolveAnswer(def('ImmediateData'), 'Yes', 'NotUnderstood')).toBeUndefined();
  });
});
