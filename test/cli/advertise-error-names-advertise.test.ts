/**
 * A bad --advertise (or config "advertise") is reported as an --advertise error, not as one of
 * --listen, which the user did not get wrong.
 */
import { describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

describe('tandem serve with a bad --advertise', () => {
  for (const value of ['x:99999', 'a b:c']) {
    it(`--advertise ${value}: the line names --advertise`, async () => {
      const { code, stderr } = await tandem('serve', '--advertise', value);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^tandem: --advertise/);
    });
  }
});
