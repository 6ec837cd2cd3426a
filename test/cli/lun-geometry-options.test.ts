import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/usage-error.js';
import { parseLun } from '../../src/cli/serve-options.js';

describe('--lun physical= and sanitize-rate=', () => {
  it('reads a physical block size that is a power-of-two multiple of the block size', () => {
    expect(parseLun('/d.img,physical=4096').physicalBlockSize).toBe(4096);
    expect(parseLun('/d.img,blocksize=4096,physical=16K').physicalBlockSize).toBe(16384);
    expect(parseLun('/d.img,physical=512').physicalBlockSize).toBe(512);
  });

  it.each(['/d.img,physical=1000', '/d.img,physical=256', '/d.img,blocksize=4096,physical=512', '/d.img,physical=32M', '/d.img,physical='])(
    'rejects %s',
    (bad) => {
      expect(() => parseLun(bad)).toThrow(UsageError);
    },
  );

  it('reads a sanitize rate in bytes per second', () => {
    expect(parseLun('/d.img,sanitize-rate=16M').sanitizeBytesPerSecond).toBe(16 * 1024 * 1024);
    expect(() => parseLun('/d.img,sanitize-rate=fast')).toThrow(UsageError);
  });
});
