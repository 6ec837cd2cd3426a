/**
 * Vendor VPD page C0h: identifies the challenge-response commands, their algorithms and
 * modes, and the limits SEND CHALLENGE LIST enforces. The 8-byte signature tells an
 * initiator the page is Tandem's (vendor page codes mean different things per vendor).
 */
import {
  CHALLENGE_VPD_PAGE,
  CHALLENGE_VPD_SIGNATURE,
  CHALLENGE_VPD_VERSION,
  ChallengeLimits,
  ChallengeOpcode,
  SINGLE_MAX_BLOCKS,
  SUPPORTED_MODES,
  challengeAlgorithmsOf,
  maxExtentBlocks,
} from './constants.js';
import { ChallengeFormatError } from './errors.js';

export const CHALLENGE_VPD_LENGTH = 40;

export interface ChallengeVpd {
  version: number;
  /** ALGORITHM codes supported (bit n of the bitmap ⇒ code n). */
  algorithms: number[];
  modes: number[];
  opcodes: { challenge: number; sendList: number; receiveAnswers: number };
  singleMaxBlocks: number;
  maxListsPerNexus: number;
  maxListsPerLu: number;
  maxEntriesPerList: number;
  maxExtentBlocks: number;
  blockSize: number;
}

function bitmap(codes: readonly number[]): number {
  return codes.reduce((m, c) => m | (1 << c), 0);
}

function codes(map: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < 16; c++) if (map & (1 << c)) out.push(c);
  return out;
}

/**
 * What this target advertises for an LU of `blockSize` whose store hashes with `algorithms`.
 * MODES is one bitmap for all algorithms; reversible mode applies to ALGORITHM 0 only (modesOf).
 */
export function challengeVpdFor(blockSize: number, algorithms: readonly number[]): ChallengeVpd {
  const maxBlocks = maxExtentBlocks(blockSize);
  return {
    version: CHALLENGE_VPD_VERSION,
    algorithms: [...algorithms],
    modes: [...SUPPORTED_MODES],
    opcodes: {
      challenge: ChallengeOpcode.CHALLENGE,
      sendList: ChallengeOpcode.SEND_CHALLENGE_LIST,
      receiveAnswers: ChallengeOpcode.RECEIVE_CHALLENGE_ANSWERS,
    },
    singleMaxBlocks: Math.min(SINGLE_MAX_BLOCKS, maxBlocks),
    maxListsPerNexus: ChallengeLimits.MAX_LISTS_PER_NEXUS,
    maxListsPerLu: ChallengeLimits.MAX_LISTS_PER_LU,
    maxEntriesPerList: ChallengeLimits.MAX_ENTRIES_PER_LIST,
    maxExtentBlocks: maxBlocks,
    blockSize,
  };
}

export function encodeChallengeVpd(v: ChallengeVpd): Buffer {
  const b = Buffer.alloc(CHALLENGE_VPD_LENGTH);
  b[1] = CHALLENGE_VPD_PAGE;
  b.writeUInt16BE(CHALLENGE_VPD_LENGTH - 4, 2);
  b.write(CHALLENGE_VPD_SIGNATURE, 4, 'ascii');
  b[12] = v.version;
  b.writeUInt16BE(bitmap(v.algorithms), 14);
  b.writeUInt16BE(bitmap(v.modes), 16);
  b[18] = v.opcodes.challenge;
  b[19] = v.opcodes.sendList;
  b[20] = v.opcodes.receiveAnswers;
  b[21] = v.singleMaxBlocks;
  b.writeUInt16BE(v.maxListsPerNexus, 22);
  b.writeUInt16BE(v.maxListsPerLu, 24);
  b.writeUInt32BE(v.maxEntriesPerList, 28);
  b.writeUInt32BE(v.maxExtentBlocks, 32);
  b.writeUInt32BE(v.blockSize, 36);
  return b;
}

export function decodeChallengeVpd(page: Buffer): ChallengeVpd {
  if (page.length < CHALLENGE_VPD_LENGTH) throw new ChallengeFormatError(`VPD page of ${page.length} bytes; need ${CHALLENGE_VPD_LENGTH}`);
  if (page[1] !== CHALLENGE_VPD_PAGE) throw new ChallengeFormatError(`page code 0x${page[1]!.toString(16)} is not 0x${CHALLENGE_VPD_PAGE.toString(16)}`);
  if (page.toString('latin1', 4, 12) !== CHALLENGE_VPD_SIGNATURE) throw new ChallengeFormatError('not a Tandem challenge VPD page (signature)');
  if (page.readUInt16BE(2) < CHALLENGE_VPD_LENGTH - 4) throw new ChallengeFormatError('VPD page length too small');
  return {
    version: page[12]!,
    algorithms: codes(page.readUInt16BE(14)),
    modes: codes(page.readUInt16BE(16)),
    opcodes: { challenge: page[18]!, sendList: page[19]!, receiveAnswers: page[20]! },
    singleMaxBlocks: page[21]!,
    maxListsPerNexus: page.readUInt16BE(22),
    maxListsPerLu: page.readUInt16BE(24),
    maxEntriesPerList: page.readUInt32BE(28),
    maxExtentBlocks: page.readUInt32BE(32),
    blockSize: page.readUInt32BE(36),
  };
}

/** The LU members the C0h page depends on (LogicalUnit satisfies it structurally). */
export interface ChallengeVpdSource {
  readonly blockSize: number;
  /** The store's digest names (BlockDevice.digestAlgorithms): the algorithms follow them. */
  readonly device: { readonly digestAlgorithms: readonly string[] };
}

/** The C0h page for an LU: what INQUIRY EVPD=1 PAGE CODE=C0h returns. */
export function vendorVpdPage(lu: ChallengeVpdSource): Buffer {
  return encodeChallengeVpd(challengeVpdFor(lu.blockSize, challengeAlgorithmsOf(lu.device.digestAlgorithms)));
}
