/**
 * The replica's volume tag as a PR registration key, and the READ KEYS answer the primary
 * reads it back from (SPC-4 §6.16.2: PRGENERATION, ADDITIONAL LENGTH, then 8-byte keys): a
 * tag survives the key and back, a key of anyone else carries no tag, and parseReadKeys takes
 * exactly the whole keys both listed and present — a truncated answer (a short allocation
 * length) gives the keys that fit, never a throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyOfTag, parseReadKeys, tagOfKey, tagOfVolume, tagsOfKeys } from '../../src/replication/volume-tag-pr.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const tag = fc.bigInt({ min: 0n, max: (1n << 48n) - 1n });

function readKeysAnswer(generation: number, keys: readonly bigint[], listedBytes = keys.length * 8): Buffer {
  const data = Buffer.alloc(8 + keys.length * 8);
  data.writeUInt32BE(generation, 0);
  data.writeUInt32BE(listedBytes, 4);
  keys.forEach((k, i) => data.writeBigUInt64BE(k, 8 + i * 8));
  return data;
}

describe('volume tags as registration keys', () => {
  it('a tag survives the key and back; a key without the "TV" prefix carries none', () => {
    fc.assert(
      fc.property(tag, u64, (t, other) => {
        expect(tagOfKey(keyOfTag(t))).toBe(t);
        if (other >> 48n !== 0x5456n) expect(tagOfKey(other)).toBeUndefined();
      }),
    );
  });

  it("a volume's tag is its UUID's first 48 bits", () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        expect(tagOfVolume(id)).toBe(BigInt(`0x${id.replace(/-/g, '').slice(0, 12)}`));
      }),
    );
  });

  it('the tags among a READ KEYS answer are the distinct tags of its Tandem keys', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(tag.map(keyOfTag), u64), { maxLength: 12 }), fc.nat(), (keys, generation) => {
        const tags = tagsOfKeys(parseReadKeys(readKeysAnswer(generation >>> 0, keys)));
        const expected = new Set(keys.map(tagOfKey).filter((t): t is bigint => t !== undefined));
        expect(new Set(tags)).toEqual(expected);
        expect(tags).toHaveLength(expected.size);
      }),
    );
  });
});

describe('READ KEYS answers', () => {
  it('gives back every key listed, in order', () => {
    fc.assert(
      fc.property(fc.array(u64, { maxLength: 20 }), fc.nat(), (keys, generation) => {
        expect(parseReadKeys(readKeysAnswer(generation >>> 0, keys))).toEqual(keys);
      }),
    );
  });

  it('cut short by the allocation length, gives the whole keys that arrived', () => {
    fc.assert(
      fc.property(fc.array(u64, { maxLength: 20 }), fc.nat({ max: 8 + 20 * 8 }), (keys, cut) => {
        const answer = readKeysAnswer(1, keys).subarray(0, cut);
        expect(parseReadKeys(answer)).toEqual(cut < 8 ? [] : keys.slice(0, Math.floor((cut - 8) / 8)));
      }),
    );
  });

  it('takes no more than the ADDITIONAL LENGTH lists, whole keys only', () => {
    fc.assert(
      fc.property(fc.array(u64, { maxLength: 20 }), fc.nat({ max: 20 * 8 }), (keys, listedBytes) => {
        expect(parseReadKeys(readKeysAnswer(1, keys, listedBytes))).toEqual(keys.slice(0, Math.floor(listedBytes / 8)));
      }),
    );
  });

  it('never throws on arbitrary bytes, and finds at most what both the length and the bytes hold', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const data = Buffer.from(bytes);
        const keys = parseReadKeys(data);
        const room = data.length < 8 ? 0 : Math.floor((data.length - 8) / 8);
        const listed = data.length < 8 ? 0 : Math.floor(data.readUInt32BE(4) / 8);
        expect(keys.length).toBe(Math.min(room, listed));
      }),
    );
  });
});
