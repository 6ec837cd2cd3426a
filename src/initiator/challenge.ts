/**
 * Challenger-side wrappers for Tandem's reverse challenge-response vendor commands
 * (docs/vendor-commands.md): thin layers over `scsi()` using the vendor codecs, so the
 * CLI and the verify engine never build CDBs by hand.
 */
import {
  CHALLENGE_VPD_PAGE,
  ChallengeAlgorithm,
  ChallengeFormatError,
  ChallengeMode,
  answersLength,
  decodeChallengeAnswers,
  decodeChallengeVpd,
  encodeChallengeCdb,
  encodeChallengeList,
  encodeReceiveChallengeAnswersCdb,
  encodeSendChallengeListCdb,
  type ChallengeAlgorithmCode,
  type ChallengeEntry,
  type ChallengeModeCode,
  type ChallengeVpd,
} from '../replica-protocol/index.js';
import { TaskAttribute } from './command-types.js';
import { ScsiCheckConditionError } from './errors.js';
import type { ScsiCommands } from './scsi-commands.js';

/** 8 header bytes + 32 bytes of V_B. */
const SINGLE_ANSWER_BYTES = 40;

export interface SingleChallenge {
  lba: bigint;
  /** 1-255 logical blocks. */
  blocks: number;
  /** 8 bytes. */
  nonce: Buffer;
  /** Default SHA-256; the target must advertise it in C0h. */
  algorithm?: ChallengeAlgorithmCode;
}

/** CHALLENGE (C1h): V_B of one extent. */
export async function challenge(session: ScsiCommands, lun: number, c: SingleChallenge): Promise<Buffer> {
  const cdb = encodeChallengeCdb({ algorithm: c.algorithm ?? ChallengeAlgorithm.SHA256, lba: c.lba, blocks: c.blocks, nonce: c.nonce });
  const r = await session.scsi(lun, cdb, { dataInLength: SINGLE_ANSWER_BYTES });
  const decoded = decodeChallengeAnswers(r.dataIn ?? Buffer.alloc(0));
  if (decoded.answers.length !== 1) throw new RangeError(`CHALLENGE answered ${decoded.answers.length} entries, expected 1`);
  return decoded.answers[0]!;
}

export interface ChallengeBatchOptions {
  listId: number;
  /** Default SHA-256; the target must advertise it in C0h. */
  algorithm?: ChallengeAlgorithmCode;
  mode?: ChallengeModeCode;
  /** Aborts both commands (ABORT TASK on the one in flight). */
  signal?: AbortSignal;
  /**
   * Whether a SEND lost with its connection goes out again on the new nexus (default true).
   * False when each nonce must reach the replica once only: the caller challenges anew.
   */
  resendAfterReconnect?: boolean;
}

/**
 * SEND CHALLENGE LIST then RECEIVE CHALLENGE ANSWERS for the same list: answers in entry
 * order (views of one Data-In buffer). RECEIVE is issued only once SEND has ended GOOD,
 * as the doc requires for SIMPLE tasks; callers pipeline by running several batches.
 */
export async function challengeBatch(
  session: ScsiCommands,
  lun: number,
  entries: readonly ChallengeEntry[],
  options: ChallengeBatchOptions,
): Promise<Buffer[]> {
  const algorithm = options.algorithm ?? ChallengeAlgorithm.SHA256;
  const mode = options.mode ?? ChallengeMode.HMAC;
  const list = encodeChallengeList(entries);
  const signal = options.signal ? { signal: options.signal } : {};
  await session.scsi(
    lun,
    encodeSendChallengeListCdb({ algorithm, mode, listId: options.listId, parameterListLength: list.length }),
    { dataOut: list, idempotent: options.resendAfterReconnect ?? true, ...signal },
  );
  const expected = answersLength(mode, entries.length);
  const r = await session.scsi(lun, encodeReceiveChallengeAnswersCdb({ listId: options.listId, allocationLength: expected }), {
    dataInLength: expected,
    taskAttribute: TaskAttribute.SIMPLE,
    // A re-issued RECEIVE after a reconnect finds no list (lists die with the nexus): not idempotent.
    idempotent: false,
    ...signal,
  });
  const decoded = decodeChallengeAnswers(r.dataIn ?? Buffer.alloc(0));
  if (decoded.algorithm !== algorithm || decoded.mode !== mode || decoded.answers.length !== entries.length) {
    throw new RangeError(
      `list ${options.listId}: got ${decoded.answers.length} answers of algorithm ${decoded.algorithm} mode ${decoded.mode}, expected ${entries.length} of algorithm ${algorithm} mode ${mode}`,
    );
  }
  return decoded.answers;
}

/** The C0h VPD page: limits and opcodes of the challenge commands. */
export async function readChallengeVpd(session: ScsiCommands, lun: number): Promise<ChallengeVpd> {
  const page = await session.inquiry(lun, { evpd: true, page: CHALLENGE_VPD_PAGE, allocationLength: 64 });
  return decodeChallengeVpd(page);
}

/** The challenge algorithms the target advertises in C0h; undefined when it has no Tandem C0h page. */
export async function readChallengeAlgorithms(session: ScsiCommands, lun: number): Promise<number[] | undefined> {
  try {
    return (await readChallengeVpd(session, lun)).algorithms;
  } catch (e) {
    if (e instanceof ScsiCheckConditionError || e instanceof ChallengeFormatError) return undefined;
    throw e;
  }
}
