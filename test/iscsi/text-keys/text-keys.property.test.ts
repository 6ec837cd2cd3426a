import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTextKeys, parseTextKeys, TextKeyError, type TextPair } from '../../../src/iscsi/text-keys.js';

const keyName = fc.stringMatching(/^[A-Za-z0-9.\-+@_]{1,63}$/);
const value = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((v) => !v.includes('\0') && Buffer.byteLength(v) <= 255);

describe('text keys (properties)', () => {
  it('encode then parse returns the same ordered pairs', () => {
    const pairs = fc.uniqueArray(fc.record({ key: keyName, value }), { selector: (p) => p.key, maxLength: 20 });
    fc.assert(
      fc.property(pairs, (ps: TextPair[]) => {
        expect(parseTextKeys(encodeTextKeys(ps))).toEqual(ps);
      }),
    );
  });

  it('random bytes never throw anything but TextKeyError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          parseTextKeys(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(TextKeyError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('random key=value text never throws anything but TextKeyError', () => {
    const text = fc.array(fc.constantFrom('A', '=', '\0', 'x', ' ', 'é', '9'), { maxLength: 80 }).map((a) => a.join(''));
    fc.assert(
      fc.property(text, (t) => {
        try {
          parseTextKeys(Buffer.from(t));
        } catch (e) {
          expect(e).toBeInstanceOf(TextKeyError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
