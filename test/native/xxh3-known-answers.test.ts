/**
 * XXH3-128 of the addon against xxHash's own test vectors (cli/xsum_sanity_check.c, the
 * seed-0 rows of XSUM_XXH128_testdata: the challenge digest is the unseeded XXH3-128),
 * in the canonical big-endian form the challenge uses; and against the `xxhsum -H2` CLI
 * where the xxhash package is installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/index.js';
import { HAS_XXH3, itXxh3 } from './xxh3-build.js';

const PRIME32 = 2654435761n;
const PRIME64 = 11400714785074694797n;

/** XSUM_fillTestBuffer: byte i is the top byte of PRIME32 × PRIME64^i (mod 2^64). */
function sanityBuffer(length: number): Buffer {
  const b = Buffer.alloc(length);
  let gen = PRIME32;
  for (let i = 0; i < length; i++) {
    b[i] = Number(gen >> 56n);
    gen = (gen * PRIME64) & 0xffffffffffffffffn;
  }
  return b;
}

/** [length, low64, high64] as the C table lists them. */
const VECTORS: [number, string, string][] = [
  [0, '6001C324468D497F', '99AA06D3014798D8'],
  [1, 'C44BDFF4074EECDB', 'A6CD5E9392000F6A'],
  [6, '3E7039BDDA43CFC6', '082AFE0B8162D12A'],
  [12, '061A192713F69AD9', '6E3EFD8FC7802B18'],
  [24, '1E7044D28B1B901D', '0CE966E4678D3761'],
  [48, 'F942219AED80F67B', 'A002AC4E5478227E'],
  [81, '5E8BAFB9F95FB803', '4952F58181AB0042'],
  [222, 'F1AEBD597CEC6B3A', '337E09641B948717'],
  [403, 'CDEB804D65C6DEA4', '1B6DE21E332DD73D'],
  [512, '617E49599013CB6B', '18D2D110DCC9BCA1'],
  [2048, 'DD59E2C3A5F038E0', 'F736557FD47073A5'],
  [2240, '6E73A90539CF2948', 'CCB134FBFA7CE49D'],
  [2367, 'CB37AEB9E5D361ED', 'E89C0F6FF369B427'],
];

function xxh3(parts: Buffer[]): Buffer {
  const out = Buffer.alloc(16);
  native.digestInto('xxh3', parts, out, 0);
  return out;
}

const XXHSUM = '/usr/bin/xxhsum';

describe('XXH3-128 (the addon, from libxxhash)', () => {
  const buffer = sanityBuffer(2367);

  itXxh3('matches xxHash sanity-check vectors, canonical form = high64 ‖ low64 big-endian', () => {
    for (const [length, low, high] of VECTORS) {
      expect(xxh3([buffer.subarray(0, length)]).toString('hex'), `length ${length}`).toBe((high + low).toLowerCase());
    }
  });

  itXxh3('hashes the concatenation of its parts, however split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(3000), { maxLength: 6 }), (bytes, cuts) => {
        const data = Buffer.from(bytes);
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const parts = [0, ...points].map((from, i) => data.subarray(from, [...points, data.length][i]));
        expect(xxh3(parts).equals(xxh3([data]))).toBe(true);
      }),
    );
  });

  it.runIf(HAS_XXH3 && existsSync(XXHSUM))('agrees with `xxhsum -H2` on the vectors and on 1 MiB + 7 bytes', () => {
    for (const input of [Buffer.alloc(0), buffer.subarray(0, 222), buffer, sanityBuffer((1 << 20) + 7)]) {
      const line = execFileSync(XXHSUM, ['-H2', '-'], { input }).toString();
      expect(line.split(/\s+/)[0]).toBe(xxh3([input]).toString('hex'));
    }
  });

  it('is advertised exactly when it can be computed', () => {
    const probe = () => native.digestInto('xxh3', [], Buffer.alloc(16), 0);
    if (HAS_XXH3) expect(probe).not.toThrow();
    else expect(probe).toThrow(RangeError);
    expect(native.digestAlgorithms[0]).toBe('sha256');
  });
});
