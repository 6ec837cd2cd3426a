/**
 * `tandem probe` and `tandem challenge` against a live Tandem target: the V_B printed is
 * the HMAC of the block's bytes that `computeChallengeAnswer` gives.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeCommand, runChallenge } from '../../src/cli/challenge.js';
import { UsageError } from '../../src/util/usage-error.js';
import { formatProbe, parseOneCommandSupport, probeCommand, runProbe } from '../../src/cli/probe.js';
import { connectUrl, parseUrlArgument } from '../../src/verify/connect.js';
import { computeChallengeAnswer } from '../../src/replica-protocol/index.js';
import { setLogLevel } from '../../src/util/log.js';
import { startLiveTarget, type LiveTarget } from '../integration/helpers.js';

const BLOCK = 512;

function capture(): { io: { stdout: { write(t: string): boolean }; stderr: { write(t: string): boolean } }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: { write: (t) => out.push(t) > 0 }, stderr: { write: (t) => err.push(t) > 0 } }, out, err };
}

describe('probe and challenge against a live target', () => {
  let target: LiveTarget;
  const data = randomBytes(8 * BLOCK);
  const LBA = 1000;

  beforeAll(async () => {
    setLogLevel('warn');
    target = await startLiveTarget({ lunSpecs: ['disk0.img,size=16M'] });
    const session = await connectUrl(parseUrlArgument(target.url(), 'URL'));
    await session.write16(0, LBA, data);
    await session.logout();
  });

  afterAll(async () => {
    await target?.close();
  });

  it('probe reports identity, capacity, the three vendor opcodes and the C0h limits', async () => {
    const p = await runProbe(target.url());
    expect(p.vendor).toBe('TANDEM');
    expect(p.blockSize).toBe(BLOCK);
    expect(p.bytes).toBe(16 * 1024 * 1024);
    expect(p.blockCount).toBe(String((16 * 1024 * 1024) / BLOCK));
    for (const s of Object.values(p.commands)) expect(['standard', 'vendor']).toContain(s);
    expect(p.challengeVpd).toMatchObject({ opcodes: { challenge: 0xc1, sendList: 0xc2, receiveAnswers: 0xc3 }, maxListsPerNexus: 8, maxEntriesPerList: 1024, blockSize: BLOCK });
    const text = formatProbe(p);
    expect(text).toContain('32768 blocks x 512 bytes');
    expect(text).toContain('C2h SEND CHALLENGE LIST        standard');
    // Codes named as --algorithm takes them (this addon may lack xxh3).
    expect(text).toMatch(/algorithms \[0 sha256(, 1 xxh3)?\], modes \[0 hmac, 1 reversible\]/);
    const { io, out } = capture();
    expect(await probeCommand({ url: target.url(), json: true }, io)).toBe(0);
    expect(JSON.parse(out.join('')).challengeVpd.maxExtentBlocks).toBe(16384);
  });

  it('decodes the SUPPORT field of a one-command answer', () => {
    expect(parseOneCommandSupport(Buffer.from([0, 0x03, 0, 16]))).toBe('standard');
    expect(parseOneCommandSupport(Buffer.from([0, 0x01, 0, 0]))).toBe('unsupported');
    expect(parseOneCommandSupport(Buffer.from([0, 0x85, 0, 16]))).toBe('vendor');
    expect(parseOneCommandSupport(Buffer.alloc(1))).toBe('unknown');
  });

  it('challenge with a given nonce prints V_B = HMAC over the block bytes', async () => {
    const nonce = Buffer.from('0123456789abcdef', 'hex');
    const { io, out } = capture();
    expect(await challengeCommand({ url: target.url(), lba: String(LBA), blocks: '8', nonce: nonce.toString('hex') }, io)).toBe(0);
    const expected = computeChallengeAnswer({ data }, nonce, BigInt(LBA), 8).toString('hex');
    expect(out.join('')).toBe(`nonce 0123456789abcdef\nV_B   ${expected}\n`);
  });

  it('challenge draws a fresh random nonce when none is given, and the answer follows it', async () => {
    const a = await runChallenge({ url: target.url(), lba: String(LBA + 2), blocks: '3' });
    const b = await runChallenge({ url: target.url(), lba: String(LBA + 2), blocks: '3' });
    expect(a.nonce.length).toBe(8);
    expect(a.nonce.equals(b.nonce)).toBe(false);
    expect(a.answer.equals(computeChallengeAnswer({ data: data.subarray(2 * BLOCK, 5 * BLOCK) }, a.nonce, BigInt(LBA + 2), 3))).toBe(true);
    expect(b.answer.equals(computeChallengeAnswer({ data: data.subarray(2 * BLOCK, 5 * BLOCK) }, b.nonce, BigInt(LBA + 2), 3))).toBe(true);
  });

  it('refuses bad arguments as usage errors before or without touching the medium', async () => {
    await expect(runChallenge({ url: target.url(), lba: '1', nonce: 'abcd' })).rejects.toThrow(UsageError);
    await expect(runChallenge({ url: target.url(), lba: '-1' })).rejects.toThrow(/--lba/);
    await expect(runChallenge({ url: target.url(), lba: '1', blocks: '256' })).rejects.toThrow(/1-255/);
    await expect(runChallenge({ url: target.url(), lba: '32767', blocks: '2' })).rejects.toThrow(/beyond the LUN's 32768 blocks/);
    await expect(runChallenge({ url: 'iscsi://127.0.0.1/not-an-iqn/0', lba: '0' })).rejects.toThrow(UsageError);
  });
});
