import { describe, expect, it } from 'vitest';
import { encodeTextKeys, TextKeyError } from '../../../src/iscsi/text-keys.js';

describe('encodeTextKeys', () => {
  it('terminates every pair with a NUL', () => {
    expect(encodeTextKeys([{ key: 'A', value: '1' }, { key: 'B', value: '' }]).toString('latin1')).toBe('A=1\0B=\0');
  });

  it('refuses what the parser would refuse', () => {
    expect(() => encodeTextKeys([{ key: 'A', value: 'x\0y' }])).toThrow(TextKeyError);
    expect(() => encodeTextKeys([{ key: 'A=B', value: '1' }])).toThrow(TextKeyError);
    expect(() => encodeTextKeys([{ key: 'A', value: 'v'.repeat(256) }])).toThrow(TextKeyError);
  });
});
