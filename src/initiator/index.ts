/** The embedded iSCSI initiator: public API. */
export { IscsiSession, DEFAULT_TIMEOUTS, DEFAULT_INITIATOR_NAME, DEFAULT_MAX_TRANSFER_BYTES, randomIsid, derivedIsid } from './session.js';
export type { SessionOptions, SessionTimeouts, AsyncEventInfo } from './session.js';
export { ReconnectingSession, DEFAULT_RECONNECT_POLICY, MAX_ISSUES_PER_COMMAND, backoffDelay } from './reconnecting-session.js';
export type { ReconnectPolicy, ReconnectingSessionOptions } from './reconnecting-session.js';
export { discover, MAX_SEND_TARGETS_BYTES } from './discovery.js';
export type { DiscoveryOptions, Portal } from './discovery.js';
export type { DiscoveredTarget, DiscoveredPortal } from './send-targets.js';
export { ScsiCommands } from './scsi-commands.js';
export type { ScsiOptions } from './scsi-commands.js';
export { TaskAttribute } from './command-types.js';
export type { CommandRequest, CommandResult, CommandHandle, CommandIssuer, TaskAttributeValue } from './command-types.js';
export {
  ScsiStatus,
  ScsiOpcode,
  WRITE_SCATTERED_SA,
  ScsiDataError,
  isIdempotentCdb,
  parseReadCapacity16,
  parseReportLuns,
  parseStandardInquiry,
} from './cdb.js';
export type { Capacity, BlockRange, StandardInquiry } from './cdb.js';
export { GET_LBA_STATUS_SA, ProvisioningStatus, getLbaStatusCdb, lbaStatusAllocationLength, parseLbaStatus, provisionedRuns, type ProvisionedRun } from './lba-status.js';
export type { LbaStatusDescriptor } from './lba-status.js';
export {
  CommandAbortedError,
  IscsiAuthenticationError,
  IscsiConnectionError,
  IscsiLoginError,
  IscsiRejectError,
  IscsiTimeoutError,
  ScsiCheckConditionError,
  ScsiStatusError,
  TaskManagementError,
} from './errors.js';
export { parseSense, SenseFormatError, NO_SENSE_DATA } from './sense-parse.js';
export type { ParsedSense, SenseFieldPointer } from './sense-parse.js';
export {
  parseIscsiUrl,
  parseIscsiPortalUrl,
  formatIscsiUrl,
  formatIscsiPortalUrl,
  IscsiUrlError,
  DEFAULT_ISCSI_PORT,
} from './url.js';
export type { IscsiUrl, IscsiPortalUrl, IscsiUrlErrorCode } from './url.js';
export { DEFAULT_INITIATOR_LIMITS } from './operational-keys.js';
export type { InitiatorLimits } from './operational-keys.js';
export type { WireStats } from './transport.js';
