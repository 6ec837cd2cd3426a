/**
 * Opcodes, field values, sizes and limits of Tandem's challenge-response and staged-pass
 * vendor commands (docs/vendor-commands.md), and the limits one Tandem node relies on in
 * another. Vendor-specific opcodes live in C0h-FFh (SPC-4 §4.2.5.1).
 */
export const ChallengeOpcode = {
  /** One extent, nonce in the CDB, answer as Data-In. */
  CHALLENGE: 0xc1,
  /** Batched: Data-Out list of entries, answers kept under a LIST IDENTIFIER. */
  SEND_CHALLENGE_LIST: 0xc2,
  /** Batched: Data-In answers of one list (waits for its hashing). */
  RECEIVE_CHALLENGE_ANSWERS: 0xc3,
} as const;

/** Vendor VPD page describing the commands and their limits. */
export const CHALLENGE_VPD_PAGE = 0xc0;
/** First 8 bytes of the VPD page body: vendor pages collide across vendors, this names ours. */
export const CHALLENGE_VPD_SIGNATURE = 'TANDEMCR';
export const CHALLENGE_VPD_VERSION = 1;

/** ALGORITHM field (byte 1 bits 7-4): digest of the extent and the keyed function over it. */
export const ChallengeAlgorithm = {
  /** D = SHA-256(extent); HMAC mode: HMAC-SHA-256; reversible mode: AES-256-ECB, one block. */
  SHA256: 0,
  /**
   * D = XXH3-128(extent), 16 bytes big-endian; HMAC mode only, V = HMAC-SHA-256 as for 0.
   * Fast, but not collision resistant: for accidental divergence, not an adversarial replica.
   */
  XXH3_128: 1,
} as const;
export type ChallengeAlgorithmCode = (typeof ChallengeAlgorithm)[keyof typeof ChallengeAlgorithm];

/** MODE field of SEND CHALLENGE LIST (byte 1 bits 3-0). */
export const ChallengeMode = {
  /** Answer V = HMAC-SHA-256(key = D, R ‖ LBA ‖ EXTENT LENGTH). */
  HMAC: 0,
  /** Entry carries E = AES-256-ECB-Enc(key = D_P, R); answer R_B = AES-256-ECB-Dec(key = D_B, E). ALGORITHM 0 only. */
  REVERSIBLE: 1,
} as const;
export type ChallengeModeCode = (typeof ChallengeMode)[keyof typeof ChallengeMode];

/** Every ALGORITHM this protocol defines; an LU advertises those its store can hash (challengeAlgorithmsOf). */
export const DEFINED_ALGORITHMS: readonly ChallengeAlgorithmCode[] = [ChallengeAlgorithm.SHA256, ChallengeAlgorithm.XXH3_128];
/** Every MODE defined; which ones an algorithm allows: modesOf. */
export const SUPPORTED_MODES: readonly number[] = [ChallengeMode.HMAC, ChallengeMode.REVERSIBLE];

/**
 * Each algorithm's extent digest by the name the block layer hashes with and `tandem verify
 * --algorithm` takes; the block layer's DigestAlgorithm names the same two.
 */
export const ALGORITHM_DIGEST = { [ChallengeAlgorithm.SHA256]: 'sha256', [ChallengeAlgorithm.XXH3_128]: 'xxh3' } as const;
export type ChallengeDigestName = (typeof ALGORITHM_DIGEST)[ChallengeAlgorithmCode];

/** Bytes of D: the HMAC key (and in reversible mode the AES-256 key, hence 32 bytes there). */
export function digestBytes(algorithm: ChallengeAlgorithmCode): number {
  return algorithm === ChallengeAlgorithm.SHA256 ? 32 : 16;
}

/** Reversible mode keys AES-256 with D, so it needs SHA-256's 32-byte digest. */
export function modesOf(algorithm: ChallengeAlgorithmCode): readonly number[] {
  return algorithm === ChallengeAlgorithm.SHA256 ? SUPPORTED_MODES : [ChallengeMode.HMAC];
}

/** The algorithm codes whose digests a store can compute, from its digest names. */
export function challengeAlgorithmsOf(digests: readonly string[]): ChallengeAlgorithmCode[] {
  return DEFINED_ALGORITHMS.filter((a) => digests.includes(ALGORITHM_DIGEST[a]));
}

export function algorithmNamed(name: string): ChallengeAlgorithmCode | undefined {
  return DEFINED_ALGORITHMS.find((a) => ALGORITHM_DIGEST[a] === name);
}

/** Fastest first: a challenger picks the first one every party supports. */
const PREFERENCE: readonly ChallengeAlgorithmCode[] = [ChallengeAlgorithm.XXH3_128, ChallengeAlgorithm.SHA256];

/** The fastest algorithm in every one of `parties` (each: the codes one end supports), if any. */
export function chooseChallengeAlgorithm(...parties: (readonly number[])[]): ChallengeAlgorithmCode | undefined {
  return PREFERENCE.find((a) => parties.every((p) => p.includes(a)));
}

export const CDB_LENGTH = 16;
export const HMAC_ANSWER_BYTES = 32;
/** One AES block: the reversible mode's challenge and answer size. */
export const REVERSIBLE_ANSWER_BYTES = 16;
/** Nonce of the single-extent CDB (bytes 7-14). */
export const SINGLE_NONCE_BYTES = 8;
/** Nonce (or encrypted challenge) of a list entry. */
export const ENTRY_NONCE_BYTES = 16;

/** Parameter list of SEND CHALLENGE LIST: header, then fixed-size entries. */
export const LIST_HEADER_BYTES = 8;
export const LIST_ENTRY_BYTES = 32;
/** Data-In header of CHALLENGE and RECEIVE CHALLENGE ANSWERS. */
export const ANSWER_HEADER_BYTES = 8;

/** The single-extent CDB has a one-byte EXTENT LENGTH and a 36-bit LBA. */
export const SINGLE_MAX_BLOCKS = 255;
export const SINGLE_MAX_LBA = (1n << 36n) - 1n;

export const ChallengeLimits = {
  /** Entries in one SEND CHALLENGE LIST: bounds its Data-Out (8 + 32 × 1024 bytes) and answers. */
  MAX_ENTRIES_PER_LIST: 1024,
  /** Lists one I_T nexus may have outstanding (sent, answers not yet received) on one LU. */
  MAX_LISTS_PER_NEXUS: 8,
  /** Lists all nexuses together may have outstanding on one LU, so many sessions cannot grow state without bound. */
  MAX_LISTS_PER_LU: 64,
  /**
   * Bytes one extent may cover. Hashing streams the extent, so this bounds the time a list
   * takes (1024 × 8 MiB), not memory; hence its own limit, not the transfer limit.
   */
  MAX_EXTENT_BYTES: 8 * 1024 * 1024,
} as const;

/** MAXIMUM EXTENT LENGTH in blocks for an LU of this block size (advertised in the VPD page). */
export function maxExtentBlocks(blockSize: number): number {
  return Math.max(1, Math.floor(ChallengeLimits.MAX_EXTENT_BYTES / blockSize));
}

/** Largest PARAMETER LIST LENGTH SEND CHALLENGE LIST accepts. */
export const MAX_PARAMETER_LIST_BYTES = LIST_HEADER_BYTES + LIST_ENTRY_BYTES * ChallengeLimits.MAX_ENTRIES_PER_LIST;

export function answerBytes(mode: ChallengeModeCode): number {
  return mode === ChallengeMode.HMAC ? HMAC_ANSWER_BYTES : REVERSIBLE_ANSWER_BYTES;
}

/**
 * Staged delta passes (docs/vendor-commands.md, "Staged passes"): a replication primary
 * stages a pass on the backup and commits it, so the backup moves from one consistent
 * image to the next atomically.
 */
export const StagedPassOpcode = {
  /** SERVICE ACTION (byte 1 bits 4-0) BEGIN / COMMIT / ABORT, PASS IDENTIFIER in bytes 2-9. */
  PASS_CONTROL: 0xc4,
  /** Like WRITE(16), LBA in bytes 2-9 and TRANSFER LENGTH in 10-13, but into the open pass. */
  STAGED_WRITE: 0xc5,
} as const;

export const PassAction = { BEGIN: 0, COMMIT: 1, ABORT: 2 } as const;
export type PassActionCode = (typeof PassAction)[keyof typeof PassAction];
export const PASS_ACTIONS: readonly number[] = Object.values(PassAction);

/**
 * MAXIMUM UNMAP LBA COUNT of a Tandem target (Block Limits VPD B0h): the blocks one UNMAP
 * may cover. The target enforces and advertises it; a replication primary splits discards
 * to its backup by it without asking, since a backup is always a Tandem target (it must run
 * the staged-pass commands). libiscsi treats more than 1Mi as insane.
 */
export const MAX_UNMAP_LBA_COUNT = 1024 * 1024;
