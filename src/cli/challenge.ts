/**
 * `tandem challenge URL --lba N [--blocks K] [--nonce HEX]`: one CHALLENGE (C1h); prints
 * the nonce used and V_B in hex. The nonce is random (crypto-strong) unless given.
 */
import { randomBytes } from 'node:crypto';
import { challenge, readChallengeVpd } from '../initiator/challenge.js';
import { SINGLE_MAX_BLOCKS, SINGLE_MAX_LBA, SINGLE_NONCE_BYTES } from '../replica-protocol/index.js';
import { UsageError } from '../util/usage-error.js';
import { connectUrl, parseUrlArgument } from '../verify/connect.js';
import type { CommandIo } from './verify/command.js';
import { positiveInteger } from './option-checks.js';

export interface ChallengeArgs {
  url: string;
  lba: string;
  blocks?: string;
  nonce?: string;
  json?: boolean;
}

export interface ChallengeOutcome {
  lba: bigint;
  blocks: number;
  nonce: Buffer;
  answer: Buffer;
}

export function parseLba(text: string): bigint {
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(text.trim())) throw new UsageError(`--lba: "${text}" is not a non-negative integer`);
  const lba = BigInt(text.trim());
  if (lba > SINGLE_MAX_LBA) throw new UsageError(`--lba: ${lba} does not fit CHALLENGE's 36-bit LBA (max ${SINGLE_MAX_LBA})`);
  return lba;
}

export function parseBlocks(text: string | undefined): number {
  if (text === undefined) return 1;
  const blocks = positiveInteger(text, '--blocks');
  if (blocks > SINGLE_MAX_BLOCKS) throw new UsageError(`--blocks: ${blocks} outside 1-${SINGLE_MAX_BLOCKS}`);
  return blocks;
}

export function parseNonce(text: string | undefined): Buffer {
  if (text === undefined) return randomBytes(SINGLE_NONCE_BYTES);
  const hex = text.trim().replace(/^0x/i, '');
  if (!new RegExp(`^[0-9a-fA-F]{${SINGLE_NONCE_BYTES * 2}}$`).test(hex)) {
    throw new UsageError(`--nonce: need exactly ${SINGLE_NONCE_BYTES * 2} hex digits (${SINGLE_NONCE_BYTES} bytes)`);
  }
  return Buffer.from(hex, 'hex');
}

export async function runChallenge(args: ChallengeArgs): Promise<ChallengeOutcome> {
  const url = parseUrlArgument(args.url, 'URL');
  const lba = parseLba(args.lba);
  const blocks = parseBlocks(args.blocks);
  const nonce = parseNonce(args.nonce);
  const session = await connectUrl(url);
  try {
    // The target may allow fewer than 255 blocks (large block sizes): say so plainly.
    const vpd = await readChallengeVpd(session, url.lun).catch(() => undefined);
    if (vpd && blocks > vpd.singleMaxBlocks) throw new UsageError(`--blocks: ${blocks} exceeds the target's limit of ${vpd.singleMaxBlocks}`);
    const { blockCount } = await session.readCapacity16(url.lun);
    if (lba + BigInt(blocks) > blockCount) {
      throw new UsageError(`--lba ${lba} --blocks ${blocks}: extent ends beyond the LUN's ${blockCount} blocks`);
    }
    const answer = await challenge(session, url.lun, { lba, blocks, nonce });
    return { lba, blocks, nonce, answer };
  } finally {
    await session.logout().catch(() => session.destroy());
  }
}

export async function challengeCommand(args: ChallengeArgs, io: CommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const r = await runChallenge(args);
    io.stdout.write(
      args.json
        ? `${JSON.stringify({ lba: r.lba.toString(), blocks: r.blocks, nonce: r.nonce.toString('hex'), answer: r.answer.toString('hex') })}\n`
        : `nonce ${r.nonce.toString('hex')}\nV_B   ${r.answer.toString('hex')}\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    io.stderr.write(`tandem challenge: ${(e as Error).message}\n`);
    return 3;
  }
}
