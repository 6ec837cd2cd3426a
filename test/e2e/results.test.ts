import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseResults } from './harness/results.js';

describe('guest result lines', () => {
  it('keeps every value of a repeated key in order and returns the last one', () => {
    const r = parseResults('noise\nRESULT disk 1 sda 2048\nRESULT login_rc 0\nRESULT disk 2 sdb 4096\n');
    expect(r.all('disk')).toEqual(['1 sda 2048', '2 sdb 4096']);
    expect(r.get('disk')).toBe('2 sdb 4096');
    expect(r.int('login_rc')).toBe(0);
  });

  it('names the missing key and rejects non-integers', () => {
    const r = parseResults('RESULT status Good\n');
    expect(() => r.get('fio_rc')).toThrow(/fio_rc/);
    expect(() => r.int('status')).toThrow(/not an integer/);
  });

  it('round-trips keys and values written as result lines', () => {
    const key = fc.stringMatching(/^[a-z0-9_]{1,20}$/);
    const value = fc.stringMatching(/^[ -~]{0,40}$/).map((v) => v.trim());
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 20 }), (pairs) => {
        const r = parseResults(pairs.map(([k, v]) => `RESULT ${k} ${v}`).join('\n'));
        for (const [k] of pairs) {
          expect(r.all(k)).toEqual(pairs.filter(([kk]) => kk === k).map(([, v]) => v));
        }
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), (text) => void parseResults(text).keys()));
  });
});
