/**
 * A --lun option takes one '=': `size=1G=junk` is a malformed option (one line, exit 2), not
 * size=1G with the rest dropped (a 1 GiB LUN was once created and served from it).
 */
import { describe, expect, it } from 'vitest';
import { parseLun } from '../../src/cli/serve-options.js';
import { UsageError } from '../../src/util/usage-error.js';

describe('--lun options with a value that is not one', () => {
  for (const text of ['/tmp/x.img,size=1G=junk', '/tmp/x.img,blocksize=4096=512', '/tmp/x.img,physical=4096=1']) {
    it(`${text} is refused`, () => {
      expect(() => parseLun(text)).toThrow(UsageError);
    });
  }
});
