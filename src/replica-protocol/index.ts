/**
 * The wire format of Tandem's vendor commands (docs/vendor-commands.md): opcodes and
 * limits, CDB and parameter-list encoders, the answer codec, the C0h VPD page and the
 * challenge arithmetic. Shared by the target (src/scsi/replica-commands, which adds the
 * decoders that answer with sense data) and by the initiator, CLI, verify and replication.
 */
export {
  ChallengeOpcode,
  ChallengeAlgorithm,
  ChallengeMode,
  ChallengeLimits,
  StagedPassOpcode,
  PassAction,
  PASS_ACTIONS,
  type PassActionCode,
  CHALLENGE_VPD_PAGE,
  CDB_LENGTH,
  ANSWER_HEADER_BYTES,
  LIST_HEADER_BYTES,
  LIST_ENTRY_BYTES,
  SINGLE_MAX_BLOCKS,
  SINGLE_MAX_LBA,
  SINGLE_NONCE_BYTES,
  ENTRY_NONCE_BYTES,
  HMAC_ANSWER_BYTES,
  REVERSIBLE_ANSWER_BYTES,
  MAX_PARAMETER_LIST_BYTES,
  MAX_UNMAP_LBA_COUNT,
  ALGORITHM_DIGEST,
  DEFINED_ALGORITHMS,
  SUPPORTED_MODES,
  algorithmNamed,
  challengeAlgorithmsOf,
  chooseChallengeAlgorithm,
  digestBytes,
  maxExtentBlocks,
  modesOf,
  answerBytes,
  type ChallengeAlgorithmCode,
  type ChallengeDigestName,
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
  encodeChallengeCdb,
  encodeReceiveChallengeAnswersCdb,
  encodeSendChallengeListCdb,
  type ChallengeCdb,
  type ReceiveChallengeAnswersCdb,
  type SendChallengeListCdb,
} from './challenge-cdbs.js';
export { EntryField, encodeChallengeList, entryOffset, type ChallengeEntry } from './challenge-list.js';
export { answerHeader, answersLength, decodeChallengeAnswers, encodeChallengeAnswers, type ChallengeAnswers } from './answer-codec.js';
export {
  challengeVpdFor,
  decodeChallengeVpd,
  encodeChallengeVpd,
  vendorVpdPage,
  type ChallengeVpd,
  type ChallengeVpdSource,
} from './vpd.js';
export {
  PassCdbField,
  encodePassControlCdb,
  encodeStagedWriteCdb,
  STAGED_WRITE_UNMAP,
  type PassControlCdb,
  type StagedWriteCdb,
} from './staged-pass-cdbs.js';
export {
  ACCESS_STATE_CODES,
  AccessState,
  DEFAULT_PORT_GROUP,
  accessStateName,
  type AccessStateCode,
  type PortGroupsReport,
  type TargetPortGroupReport,
} from './alua.js';
export {
  DEFAULT_MODE_PARAMETERS,
  MAX_PR_STATE_BYTES,
  MAX_SHARED_REGISTRATIONS,
  PR_STATE_HEADER_BYTES,
  PrStateFormatError,
  decodeSharedPrState,
  encodeSharedPrState,
  type SharedModeParameters,
  type SharedPrState,
  type SharedRegistration,
} from './pr-state.js';
export {
  MAX_POINT_LABEL_BYTES,
  MAX_POINT_PARAMETER_BYTES,
  POINT_FIXED_BYTES,
  POINT_ORIGINS,
  PointFormatError,
  decodePointParameters,
  encodePointParameters,
  type PointMarker,
  type PointOrigin,
} from './point-marker.js';
export {
  MAX_HISTORY_ENTRIES,
  REPLICATION_STATE_VPD_PAGE,
  decodeReplicationStateVpd,
  encodeReplicationStateVpd,
  type PortAlua,
  type ReplicaRole,
  type ReplicationStateReport,
} from './replication-state.js';
export { CHANGE_MAP_HEADER_BYTES, READ_CHANGE_MAP_OPCODE, decodeChangeMapData, encodeChangeMapData, encodeReadChangeMapCdb, type ChangeMapSlice, type ReadChangeMapCdb } from './change-map.js';
export {
  AdoptFormatError,
  GENERATION_PARAMETER_BYTES,
  MAX_REPLICATION_CONTROL_PARAMETERS,
  REPLICATION_ACTIONS,
  REPLICATION_CONTROL_OPCODE,
  ReplicationAction,
  decodeAdoptParameters,
  encodeAdoptParameters,
  encodeGenerationParameter,
  encodeReplicationControlCdb,
  type AdoptParameters,
  type ReplicationActionCode,
} from './replication-control.js';
export { ReplicationSequenceError, type ReplicationEndpoint } from './replication-endpoint.js';
