/** The replication engine: public API. */
export { ReplicatedDevice } from './replicated-device.js';
export type { ReplicatedDeviceOptions, ReplicationMode, ContinuousFlavour, ReplicationState, ReplicationStatus } from './replicated-device.js';
export { IscsiReplicaLink } from './iscsi-replica-link.js';
export type { IscsiReplicaLinkOptions } from './iscsi-replica-link.js';
export { ReplicaLinkError } from './replica-link.js';
export type { ReplicaLink, LinkHealth, ChallengeExtent, VolumeTag } from './replica-link.js';
export { ReplicaMismatchError, IdentityFileError, loadIdentity, loadOrCreateIdentity } from './volume-identity.js';
export type { VolumeIdentity } from './volume-identity.js';
export { DEFAULT_THRESHOLDS, autoTrip, linkTrip } from './switch-criteria.js';
export type { SwitchThresholds, SwitchReason, ReplicationFigures } from './switch-criteria.js';
export { StagingJournal, JournalFullError, DEFAULT_JOURNAL_CAPACITY } from './staging-journal.js';
export { DeltaTable, DEFAULT_CHUNK_SIZE } from './delta-table.js';
export { runDeltaPass } from './delta-pass.js';
export type { DeltaPassResult } from './delta-pass.js';
