/**
 * `tandem --help` wraps its descriptions between words. yargs' ES module build cut them at
 * the column ('on 127.0' / '.0.1:3260)', 'las' / 't pass'); the CLI loads its CommonJS build,
 * which wraps at spaces. Each phrase below crossed a line end in the old output.
 */
import { describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

const phrases: Array<[string[], string[]]> = [
  [['--help'], ['./data/disk0.img on 127.0.0.1:3260)', 'dirty chunks, last pass, recovery point', 'Stop sending to the backup; writes are tracked in the delta table']],
  [['serve', '--help'], ['unresponsive OSD fails NOT READY, which the host retries', 'blocksize=512|4096, physical=SIZE, sanitize-rate=SIZE']],
];

describe('tandem help text', () => {
  for (const [args, expected] of phrases) {
    it(`tandem ${args.join(' ')}: lines break only between words`, async () => {
      const { code, stdout } = await tandem(...args);
      expect(code).toBe(0);
      const lines = stdout.split('\n');
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
      // Line ends and the next line's indent read as one space.
      const text = stdout.replace(/\s+/g, ' ');
      for (const phrase of expected) expect(text).toContain(phrase);
    });
  }
});
