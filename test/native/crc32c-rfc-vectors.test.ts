import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/util/crc32c.js';
import { native } from '../../src/native/index.js';

// RFC 3720 Appendix B.4.
const vectors: Array<[string, Buffer, number]> = [
  ['32 bytes of zeroes', Buffer.alloc(32), 0x8a9136aa],
  ['32 bytes of 0xff', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['incrementing 0..31', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['decrementing 31..0', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
];

describe('crc32c RFC 3720 B.4 vectors', () => {
  for (const [name, bytes, expected] of vectors) {
    it(`${name} (hardware path)`, () => expect(crc32c(bytes)).toBe(expected));
    it(`${name} (table path)`, () => expect(native.crc32cSoftware(bytes)).toBe(expected));
  }

  it('puts the least significant byte first on the wire, as the RFC lists it', () => {
    const wire = Buffer.alloc(4);
    wire.writeUInt32LE(crc32c(Buffer.alloc(32)));
    expect([...wire]).toEqual([0xaa, 0x36, 0x91, 0x8a]);
  });

  it('uses the SSE4.2 instruction on a CPU that has it', () => {
    const hasSse42 = /\bsse4_2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
    expect(native.crc32cImplementation()).toBe(hasSse42 ? 'sse4.2' : 'table');
  });

  it('rejects non-byte input with a TypeError', () => {
    expect(() => crc32c('abc' as unknown as Buffer)).toThrow(TypeError);
    expect(() => crc32c(new Uint16Array(4) as unknown as Buffer)).toThrow(TypeError);
  });
});
