import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { totalLength } from '../../src/util/total-length.js';

describe('totalLength', () => {
  it('is the length of the buffers joined', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }), (arrays) => {
        const bufs = arrays.map((a) => Buffer.from(a));
        expect(totalLength(bufs)).toBe(Buffer.concat(bufs).length);
      }),
    );
  });
});
