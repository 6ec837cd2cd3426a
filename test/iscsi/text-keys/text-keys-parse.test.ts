import { describe, expect, it } from 'vitest';
import { parseTextKeys, TextKeyError } from '../../../src/iscsi/text-keys.js';

const seg = (s: string): Buffer => Buffer.from(s, 'utf8');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof TextKeyError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseTextKeys', () => {
  it('keeps pairs in order and allows = inside values', () => {
    expect(parseTextKeys(seg('B=2\0A=x=y\0C=\0'))).toEqual([
      { key: 'B', value: '2' },
      { key: 'A', value: 'x=y' },
      { key: 'C', value: '' },
    ]);
  });

  it('skips stray NULs between pairs', () => {
    expect(parseTextKeys(seg('A=1\0\0\0B=2\0'))).toHaveLength(2);
  });

  it('decodes UTF-8 values', () => {
    expect(parseTextKeys(seg('InitiatorAlias=höst\0'))[0]!.value).toBe('höst');
  });

  it.each([
    ['A=1', 'not-terminated'],
    ['A1\0', 'missing-separator'],
    ['=1\0', 'empty-key'],
    ['A B=1\0', 'invalid-key-char'],
    [`${'K'.repeat(64)}=1\0`, 'key-too-long'],
    [`A=${'v'.repeat(256)}\0`, 'value-too-long'],
    ['A=1\0A=2\0', 'duplicate-key'],
  ])('rejects %j with %s', (text, code) => {
    expect(codeOf(() => parseTextKeys(seg(text)))).toBe(code);
  });

  it('accepts a 63-byte key and a 255-byte value', () => {
    expect(parseTextKeys(seg(`${'K'.repeat(63)}=${'v'.repeat(255)}\0`))).toHaveLength(1);
  });

  it('allows long binary values for CHAP_C but still bounds them', () => {
    expect(parseTextKeys(seg(`CHAP_C=0x${'ab'.repeat(1000)}\0`))[0]!.value).toHaveLength(2002);
    expect(codeOf(() => parseTextKeys(seg(`CHAP_C=0x${'a'.repeat(8191)}\0`)))).toBe('value-too-long');
  });

  it('rejects invalid UTF-8', () => {
    expect(codeOf(() => parseTextKeys(Buffer.from([0x41, 0x3d, 0xff, 0x00])))).toBe('invalid-utf8');
  });

  it('allows duplicates only when asked', () => {
    expect(parseTextKeys(seg('TargetName=a\0TargetName=b\0'), { allowDuplicates: true })).toHaveLength(2);
  });
});
