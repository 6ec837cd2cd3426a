/**
 * Tandem's reverse challenge-response vendor commands (docs/vendor-commands.md): the
 * descriptors to merge into the command table, the C0h VPD page, and the pure codecs and
 * crypto the challenger side (initiator, CLI) builds CDBs and checks answers with.
 */
import { ConflictClass } from '../types.js';
import type { CommandDescriptor } from '../descriptor.js';
import { ChallengeOpcode, StagedPassOpcode } from './constants.js';
import { prepareChallenge, prepareReceiveChallengeAnswers, prepareSendChallengeList } from './handlers.js';
import { preparePassControl, prepareStagedWrite } from './staged-pass-handlers.js';

const ff4 = [0xff, 0xff, 0xff, 0xff] as const;

/** The challenge commands are conflict class Read (they only hash the medium); the staged-pass ones Write. */
export const vendorCommands: CommandDescriptor[] = [
  {
    name: 'TANDEM CHALLENGE',
    opcode: ChallengeOpcode.CHALLENGE,
    cdbLength: 16,
    direction: 'in',
    writesMedium: false,
    conflict: ConflictClass.Read,
    // ALGORITHM | LBA(35-32), LBA, EXTENT LENGTH, NONCE, CONTROL.
    usage: [ChallengeOpcode.CHALLENGE, 0xff, ...ff4, 0xff, ...ff4, ...ff4, 0x00],
    prepare: prepareChallenge,
  },
  {
    name: 'TANDEM SEND CHALLENGE LIST',
    opcode: ChallengeOpcode.SEND_CHALLENGE_LIST,
    cdbLength: 16,
    direction: 'out',
    writesMedium: false,
    conflict: ConflictClass.Read,
    // ALGORITHM | MODE, LIST IDENTIFIER, PARAMETER LIST LENGTH, reserved, CONTROL.
    usage: [ChallengeOpcode.SEND_CHALLENGE_LIST, 0xff, ...ff4, ...ff4, 0, 0, 0, 0, 0, 0x00],
    prepare: prepareSendChallengeList,
  },
  {
    name: 'TANDEM RECEIVE CHALLENGE ANSWERS',
    opcode: ChallengeOpcode.RECEIVE_CHALLENGE_ANSWERS,
    cdbLength: 16,
    direction: 'in',
    writesMedium: false,
    conflict: ConflictClass.Read,
    // reserved, LIST IDENTIFIER, ALLOCATION LENGTH, reserved, CONTROL.
    usage: [ChallengeOpcode.RECEIVE_CHALLENGE_ANSWERS, 0x00, ...ff4, ...ff4, 0, 0, 0, 0, 0, 0x00],
    prepare: prepareReceiveChallengeAnswers,
  },
  {
    name: 'TANDEM PASS CONTROL',
    opcode: StagedPassOpcode.PASS_CONTROL,
    cdbLength: 16,
    direction: 'none',
    writesMedium: true,
    conflict: ConflictClass.Write,
    // SERVICE ACTION, PASS IDENTIFIER, reserved, CONTROL.
    usage: [StagedPassOpcode.PASS_CONTROL, 0x1f, ...ff4, ...ff4, 0, 0, 0, 0, 0, 0x00],
    prepare: preparePassControl,
  },
  {
    name: 'TANDEM STAGED WRITE',
    opcode: StagedPassOpcode.STAGED_WRITE,
    cdbLength: 16,
    direction: 'out',
    writesMedium: true,
    conflict: ConflictClass.Write,
    // reserved, LBA, TRANSFER LENGTH, reserved, CONTROL.
    usage: [StagedPassOpcode.STAGED_WRITE, 0x00, ...ff4, ...ff4, ...ff4, 0, 0x00],
    prepare: prepareStagedWrite,
  },
];

export {
  ChallengeOpcode,
  ChallengeAlgorithm,
  ChallengeMode,
  ChallengeLimits,
  StagedPassOpcode,
  PassAction,
  type PassActionCode,
  CHALLENGE_VPD_PAGE,
  SINGLE_MAX_BLOCKS,
  SINGLE_MAX_LBA,
  SINGLE_NONCE_BYTES,
  ENTRY_NONCE_BYTES,
  HMAC_ANSWER_BYTES,
  REVERSIBLE_ANSWER_BYTES,
  MAX_PARAMETER_LIST_BYTES,
  maxExtentBlocks,
  answerBytes,
  type ChallengeAlgorithmCode,
  type ChallengeModeCode,
} from './constants.js';
export { ChallengeFormatError } from './errors.js';
export {
  challengeMessage,
  computeChallengeAnswer,
  decryptChallenge,
  encryptChallenge,
  extentDigest,
  type ChallengeSource,
} from './challenge-crypto.js';
export {
  CdbField,
  decodeChallengeCdb,
  decodeReceiveChallengeAnswersCdb,
  decodeSendChallengeListCdb,
  encodeChallengeCdb,
  encodeReceiveChallengeAnswersCdb,
  encodeSendChallengeListCdb,
  type ChallengeCdb,
  type ReceiveChallengeAnswersCdb,
  type SendChallengeListCdb,
} from './cdb-codecs.js';
export { EntryField, decodeChallengeList, encodeChallengeList, entryOffset, type ChallengeEntry } from './list-codec.js';
export { answersLength, decodeChallengeAnswers, encodeChallengeAnswers, type ChallengeAnswers } from './answer-codec.js';
export { challengeVpdFor, decodeChallengeVpd, encodeChallengeVpd, vendorVpdPage, type ChallengeVpd } from './vpd.js';
export { forgetChallengeLists, challengeListsOf, INSUFFICIENT_RESOURCES, OPERATION_IN_PROGRESS } from './challenge-lists.js';
export { type ChallengeLu } from './handlers.js';
export { PassCapacityError, PassSequenceError, type PassStaging } from './pass-staging.js';
export {
  PassCdbField,
  decodePassControlCdb,
  decodeStagedWriteCdb,
  encodePassControlCdb,
  encodeStagedWriteCdb,
  type PassControlCdb,
  type StagedWriteCdb,
} from './staged-pass-cdbs.js';
