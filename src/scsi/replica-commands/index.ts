/**
 * The target side of Tandem's vendor commands (docs/vendor-commands.md): the reverse
 * challenge-response commands C1h-C3h, the staged-pass commands C4h-C5h, and what the
 * nodes of a pair ask each other (C6h READ CHANGE MAP, C7h REPLICATION CONTROL), as descriptors
 * to merge into the command table, with the decoders that answer with sense data. The wire
 * format both sides share is src/replica-protocol.
 */
import { ChallengeOpcode, READ_CHANGE_MAP_OPCODE, REPLICATION_CONTROL_OPCODE, STAGED_WRITE_UNMAP, StagedPassOpcode } from '../../replica-protocol/index.js';
import { ConflictClass } from '../types.js';
import type { CommandDescriptor } from '../descriptor.js';
import { prepareChallenge, prepareReceiveChallengeAnswers, prepareSendChallengeList } from './challenge-handlers.js';
import { prepareReadChangeMap, prepareReplicationControl } from './replication-handlers.js';
import { preparePassControl, prepareStagedWrite } from './staged-pass-handlers.js';

const ff4 = [0xff, 0xff, 0xff, 0xff] as const;

/**
 * The challenge commands are conflict class Read (they only hash the medium); the staged-pass
 * ones Write. None is accessesMedium: their handlers check the medium after validating the CDB.
 * All are served through a port in any ALUA state: they are the pair's own commands (and
 * tools' such as tandem verify, also against a stale node), not host I/O; the write guard
 * keeps hosts from the ones that change the LU.
 */
export const vendorCommands: CommandDescriptor[] = [
  {
    name: 'TANDEM CHALLENGE',
    opcode: ChallengeOpcode.CHALLENGE,
    cdbLength: 16,
    direction: 'in',
    writesMedium: false,
    accessesMedium: false,
    allowedInStandby: 'inactive',
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
    accessesMedium: false,
    allowedInStandby: 'inactive',
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
    accessesMedium: false,
    allowedInStandby: 'inactive',
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
    accessesMedium: false,
    allowedInStandby: 'inactive',
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
    accessesMedium: false,
    allowedInStandby: 'inactive',
    conflict: ConflictClass.Write,
    // UNMAP (byte 1 bit 3), LBA, TRANSFER LENGTH, reserved, CONTROL.
    usage: [StagedPassOpcode.STAGED_WRITE, STAGED_WRITE_UNMAP, ...ff4, ...ff4, ...ff4, 0, 0x00],
    prepare: prepareStagedWrite,
  },
  {
    name: 'TANDEM READ CHANGE MAP',
    opcode: READ_CHANGE_MAP_OPCODE,
    cdbLength: 16,
    direction: 'in',
    writesMedium: false,
    accessesMedium: false,
    allowedInStandby: 'inactive',
    conflict: ConflictClass.Read,
    // reserved, STARTING BYTE, ALLOCATION LENGTH, reserved, CONTROL.
    usage: [READ_CHANGE_MAP_OPCODE, 0x00, ...ff4, ...ff4, ...ff4, 0, 0x00],
    prepare: prepareReadChangeMap,
  },
  {
    name: 'TANDEM REPLICATION CONTROL',
    opcode: REPLICATION_CONTROL_OPCODE,
    cdbLength: 16,
    direction: 'out',
    // The handler applies the write guard per action (PR STATE also reaches a primary).
    writesMedium: false,
    accessesMedium: false,
    allowedInStandby: 'inactive',
    conflict: ConflictClass.Write,
    // ACTION, reserved, PARAMETER LIST LENGTH, reserved, CONTROL.
    usage: [REPLICATION_CONTROL_OPCODE, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, ...ff4, 0, 0x00],
    prepare: prepareReplicationControl,
  },
];

export { decodeChallengeCdb, decodeReceiveChallengeAnswersCdb, decodeSendChallengeListCdb } from './challenge-cdb-decoders.js';
export { decodeChallengeList } from './challenge-list-decoder.js';
export { decodePassControlCdb, decodeStagedWriteCdb } from './staged-pass-cdb-decoders.js';
export { forgetChallengeLists, challengeListsOf, INSUFFICIENT_RESOURCES, OPERATION_IN_PROGRESS } from './challenge-lists.js';
export { type ChallengeLu } from './challenge-handlers.js';
