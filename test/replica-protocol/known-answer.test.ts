import { createCipheriv, createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ChallengeAlgorithm,
  challengeMessage,
  computeChallengeAnswer,
  decryptChallenge,
  encryptChallenge,
  extentDigest,
} from '../../src/replica-protocol/index.js';

/** Independent construction of V straight from the spec text, with node:crypto only. */
function referenceV(data: Buffer, nonceHex: string, lbaHex16: string, blocksHex8: string): string {
  const key = createHash('sha256').update(data).digest();
  return createHmac('sha256', key).update(Buffer.from(nonceHex + lbaHex16 + blocksHex8, 'hex')).digest('hex');
}

const byteIndexPattern = (bytes: number) => Buffer.from(Array.from({ length: bytes }, (_, i) => i & 0xff));

describe('known answers (the examples in docs/vendor-commands.md)', () => {
  it('one zero block at LBA 0, nonce 0123456789abcdef', () => {
    const zero = Buffer.alloc(512);
    const v = computeChallengeAnswer({ data: zero }, Buffer.from('0123456789abcdef', 'hex'), 0n, 1);
    expect(extentDigest(zero).toString('hex')).toBe('076a27c79e5ace2a3d47f9dd2e83e4ff6ea8872b3c2218f66c92b89b55f36560');
    expect(v.toString('hex')).toBe(referenceV(zero, '0123456789abcdef', '0000000000000000', '00000001'));
    expect(v.toString('hex')).toBe('5d8db248baaab641616008518774a5d93ab2e604f111756988788f22fd066588');
  });

  it('eight blocks of byte i = i & 0xff at LBA 16, 16-byte nonce 00..0f', () => {
    const data = byteIndexPattern(8 * 512);
    const nonce = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const v = computeChallengeAnswer({ data }, nonce, 16n, 8);
    expect(v.toString('hex')).toBe(referenceV(data, nonce.toString('hex'), '0000000000000010', '00000008'));
    expect(v.toString('hex')).toBe('6a4ec844e12d1614ab2ec948743ecb30657814fd004871c05a8d0732b483ed9e');
    // Digest or data give the same answer.
    expect(computeChallengeAnswer({ digest: extentDigest(data) }, nonce, 16n, 8).equals(v)).toBe(true);
  });

  it('the message is nonce ‖ LBA (8 bytes BE) ‖ EXTENT LENGTH (4 bytes BE)', () => {
    const m = challengeMessage(Buffer.from('aabb', 'hex'), 0x0102030405060708n, 0x090a0b0c);
    expect(m.toString('hex')).toBe('aabb' + '0102030405060708' + '090a0b0c');
  });

  it('reversible mode: E = AES-256-ECB(D_P, R) and Dec(D_B, E) = R only when D_B = D_P', () => {
    const data = byteIndexPattern(8 * 512);
    const r = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const e = encryptChallenge({ data }, r);
    const ref = createCipheriv('aes-256-ecb', createHash('sha256').update(data).digest(), null).setAutoPadding(false);
    expect(e.equals(Buffer.concat([ref.update(r), ref.final()]))).toBe(true);
    expect(e.toString('hex')).toBe('4aa045f0cf09327f5f2ac25f20c4ee5b');
    expect(decryptChallenge({ data }, e).equals(r)).toBe(true);
    const other = Buffer.from(data);
    other[100] ^= 1;
    expect(decryptChallenge({ data: other }, e).equals(r)).toBe(false);
  });
});

describe('known answers of ALGORITHM 1 (XXH3-128; docs/vendor-commands.md Examples 4 and 5)', () => {
  // D from `xxhsum -H2` (the xxhash package's CLI), V from `openssl dgst -sha256 -mac HMAC`: both independent of Tandem.
  const zeroBlockD = Buffer.from('3258ca92e0a00944b2987a9d949e807c', 'hex');
  const patternD = Buffer.from('03916578969f7a66eb4b7c3707879151', 'hex');
  const XXH3 = ChallengeAlgorithm.XXH3_128;

  it('V = HMAC-SHA-256(key = the 16-byte D, R ‖ LBA ‖ EXTENT LENGTH)', () => {
    const v = computeChallengeAnswer({ digest: zeroBlockD }, Buffer.from('0123456789abcdef', 'hex'), 0n, 1, XXH3);
    expect(v.toString('hex')).toBe('0262378f43231a5959e79d98c89ce0a17081a74855440b1fa96d897826cc7267');
    const nonce = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    expect(computeChallengeAnswer({ digest: patternD }, nonce, 16n, 8, XXH3).toString('hex')).toBe(
      'c8df4177b3d68ef51edf0f3f893d80052546bed18fc788d3883fd90f26315fce',
    );
  });

  it('refuses what is not defined: bytes instead of D (XXH3 is hashed by the block layer), a 32-byte D, reversible mode', () => {
    const nonce = Buffer.alloc(16);
    expect(() => computeChallengeAnswer({ data: Buffer.alloc(512) }, nonce, 0n, 1, XXH3)).toThrow(RangeError);
    expect(() => computeChallengeAnswer({ digest: Buffer.alloc(32) }, nonce, 0n, 1, XXH3)).toThrow(/16 bytes/);
    expect(() => encryptChallenge({ digest: zeroBlockD }, nonce, XXH3)).toThrow(/reversible/);
    expect(() => decryptChallenge({ digest: zeroBlockD }, nonce, XXH3)).toThrow(/reversible/);
    expect(() => extentDigest(Buffer.alloc(1), XXH3)).toThrow(RangeError);
  });
});
