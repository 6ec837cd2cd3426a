/**
 * Target side of the challenge-response commands: validate, hash the named extents off
 * the event loop (one call per command or per list), and answer. Any Tandem target runs
 * these, whatever its replication role.
 */
import type { BlockDevice } from '../../block/device.js';
import { hmacSha256 } from '../../block/digest.js';
import {
  ALGORITHM_DIGEST,
  ANSWER_HEADER_BYTES,
  CdbField,
  ChallengeMode,
  SINGLE_MAX_BLOCKS,
  answerBytes,
  answerHeader,
  answersLength,
  challengeAlgorithmsOf,
  challengeMessage,
  decryptChallenge,
  digestBytes,
  maxExtentBlocks,
  type ChallengeAlgorithmCode,
  type ChallengeEntry,
  type ChallengeModeCode,
} from '../../replica-protocol/index.js';
import type { HandlerPlan } from '../descriptor.js';
import type { CommandContext } from '../types.js';
import { Asc, SenseError, SenseKey, invalidCdbField, type FieldPointer } from '../sense.js';
import { decodeChallengeCdb, decodeReceiveChallengeAnswersCdb, decodeSendChallengeListCdb } from './challenge-cdb-decoders.js';
import { decodeChallengeList } from './challenge-list-decoder.js';
import { challengeListsOf, type ChallengeList } from './challenge-lists.js';

/** The LogicalUnit members these commands use; LogicalUnit satisfies it structurally. */
export interface ChallengeLu {
  readonly device: BlockDevice;
  readonly blockSize: number;
  readonly blockCount: number;
  /** Throws NOT READY, MEDIUM NOT PRESENT when a removable medium is ejected. */
  requireMedium(): void;
}

function outOfRange(field: FieldPointer): SenseError {
  return new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.LBA_OUT_OF_RANGE, field });
}

function fits(lu: ChallengeLu, lba: bigint, blocks: number): boolean {
  return lba + BigInt(blocks) <= BigInt(lu.blockCount);
}

/** What the LU advertises in C0h: the algorithms its store hashes with. */
function algorithmsOf(lu: ChallengeLu): number[] {
  return challengeAlgorithmsOf(lu.device.digestAlgorithms);
}

/** CHALLENGE (C1h): V_B for one extent, as Data-In. */
export function prepareChallenge(lu: ChallengeLu, ctx: CommandContext): HandlerPlan {
  const c = decodeChallengeCdb(ctx.cdb, algorithmsOf(lu));
  if (c.blocks > Math.min(SINGLE_MAX_BLOCKS, maxExtentBlocks(lu.blockSize))) throw invalidCdbField(CdbField.SINGLE_EXTENT_LENGTH);
  lu.requireMedium();
  // The LBA field starts at byte 1 bit 3 (its four most significant bits).
  if (!fits(lu, c.lba, c.blocks)) throw outOfRange({ inCdb: true, byte: CdbField.SINGLE_LBA, bit: 3 });
  const offset = Number(c.lba) * lu.blockSize;
  const length = c.blocks * lu.blockSize;
  return {
    dataOutLength: 0,
    async run() {
      const digest = await lu.device.digestExtents(Float64Array.of(offset, length), ALGORITHM_DIGEST[c.algorithm]);
      const out = Buffer.allocUnsafe(answersLength(ChallengeMode.HMAC, 1));
      answerHeader(c.algorithm, ChallengeMode.HMAC, 1, out);
      hmacSha256(digest, challengeMessage(c.nonce, c.lba, c.blocks)).copy(out, ANSWER_HEADER_BYTES);
      return out;
    },
  };
}

/** The (offset, length) pairs digestExtents takes, of entries the decoder checked against the LU. */
function extentsOf(lu: ChallengeLu, entries: readonly ChallengeEntry[]): Float64Array {
  const extents = new Float64Array(entries.length * 2);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    extents[2 * i] = Number(e.lba) * lu.blockSize;
    extents[2 * i + 1] = e.blocks * lu.blockSize;
  }
  return extents;
}

/** All answers of a list in one buffer: header, then one answer per entry from its digest. */
function answerList(
  algorithm: ChallengeAlgorithmCode,
  mode: ChallengeModeCode,
  entries: readonly ChallengeEntry[],
  digests: Buffer,
): Buffer {
  const size = answerBytes(mode);
  const dsize = digestBytes(algorithm);
  const out = Buffer.allocUnsafe(answersLength(mode, entries.length));
  answerHeader(algorithm, mode, entries.length, out);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const digest = digests.subarray(i * dsize, (i + 1) * dsize);
    const answer =
      mode === ChallengeMode.HMAC
        ? hmacSha256(digest, challengeMessage(e.nonce, e.lba, e.blocks))
        : decryptChallenge({ digest }, e.nonce, algorithm);
    answer.copy(out, ANSWER_HEADER_BYTES + i * size);
  }
  return out;
}

/** SEND CHALLENGE LIST (C2h): validate the list, start hashing it, answer GOOD at once. */
export function prepareSendChallengeList(lu: ChallengeLu, ctx: CommandContext): HandlerPlan {
  const c = decodeSendChallengeListCdb(ctx.cdb, algorithmsOf(lu));
  lu.requireMedium();
  const lists = challengeListsOf(lu);
  const nexusId = ctx.nexus.id;
  // Early refusal saves the initiator the Data-Out; the room is made before registering.
  lists.checkRoom(nexusId, c.listId);
  return {
    dataOutLength: c.parameterListLength,
    run(dataOut) {
      // The entries' nonces are used when the hashing finishes, after this command: a copy,
      // since the Data-Out buffer is only lent for `run` (the transport may reuse it).
      // The LU's limits are checked entry by entry as the list is decoded: the first bad entry is reported.
      const entries = decodeChallengeList(Buffer.from((dataOut ?? Buffer.alloc(0)).subarray(0, c.parameterListLength)), {
        maxExtentBlocks: maxExtentBlocks(lu.blockSize),
        fits: (lba, blocks) => fits(lu, lba, blocks),
      });
      const extents = extentsOf(lu, entries);
      lists.makeRoom(nexusId, c.listId);
      const list: ChallengeList = {
        state: 'hashing',
        settled: lu.device.digestExtents(extents, ALGORITHM_DIGEST[c.algorithm]).then(
          (digests) => {
            list.answers = answerList(c.algorithm, c.mode, entries, digests);
            list.state = 'done';
          },
          (e: unknown) => {
            list.error = e;
            list.state = 'failed';
          },
        ),
      };
      lists.add(nexusId, c.listId, list);
    },
  };
}

/** RECEIVE CHALLENGE ANSWERS (C3h): the answers of one list, waiting for its hashing. */
export function prepareReceiveChallengeAnswers(lu: ChallengeLu, ctx: CommandContext): HandlerPlan {
  const c = decodeReceiveChallengeAnswersCdb(ctx.cdb);
  const lists = challengeListsOf(lu);
  const nexusId = ctx.nexus.id;
  return {
    dataOutLength: 0,
    async run() {
      // Looked up when the command runs, so a SEND that completed before it is seen.
      const list = lists.get(nexusId, c.listId);
      if (!list) throw invalidCdbField(CdbField.LIST_IDENTIFIER);
      await list.settled;
      if (list.state === 'failed') {
        lists.remove(nexusId, c.listId, list);
        throw list.error;
      }
      const answers = list.answers!;
      // A short allocation keeps the list so the initiator can ask again with room for all of it.
      if (c.allocationLength >= answers.length) lists.remove(nexusId, c.listId, list);
      return c.allocationLength >= answers.length ? answers : answers.subarray(0, c.allocationLength);
    },
  };
}
