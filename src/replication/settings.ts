/** How a server and each of its LUNs are set up for replication (from flags or the config file). */
import type { SplitBrainPolicy } from './split-brain-policy.js';
import type { ReplicationMode } from './status.js';
import type { SwitchThresholds } from './switch-criteria.js';
import type { RetentionPolicy } from './points/retention.js';

export type ReplicationRole = 'primary' | 'backup';

export interface LunReplicationSettings {
  /**
   * iscsi://[user:secret@]host[:port]/IQN/LUN of this LUN's peer: the other node of the
   * pair (the replica while this node is the primary; the primary while it is a backup).
   */
  replica?: string;
  /** Replication mode for this LUN (default: the server-wide one, else `auto`). */
  replicationMode?: ReplicationMode;
  /** Continuous mirroring flavour: true = synchronous (default: server-wide, else async). */
  sync?: boolean;
}

export interface ReplicationServerSettings {
  /** Replication role; absent = a plain target. */
  role?: ReplicationRole;
  /** Primary: the initiator name it replicates as. Backup: the only initiator allowed to write. */
  replicatorIqn?: string;
  /** Primary: take over replicas that belong to another volume. */
  startOver?: boolean;
  /** Unix socket of the admin control API (primary and backup roles). */
  control?: string;
  /** A shell command run before and after every recovery point (--point-hook). */
  pointHook?: string;
  /** How long one run of the hook may take before it is killed (--point-hook-timeout). */
  pointHookTimeoutMs?: number;
}

/** The config file's `replication` object (and --threshold flags): applied to every replicated LUN. */
export interface ReplicationTuning {
  thresholds: Partial<SwitchThresholds>;
  /** Delta-table chunk; a power of two, at least the LUN's block size. */
  chunkSize?: number;
  /** The staging journal the send queue spills to. */
  journalCapacity?: number;
  /** Memory the asynchronous send queue holds before it spills. */
  queueMemory?: number;
  /** Activity-log extent size (a power of two, a multiple of the chunk size) and how many stay hot. */
  activityExtentSize?: number;
  activityExtents?: number;
  deltaIntervalMs?: number;
  /** Every replica-link command settles within this; it bounds link-failure detection. */
  linkTimeoutMs?: number;
  /** Automatic split-brain resolution (default disconnect: none). */
  afterSplitBrain?: SplitBrainPolicy;
  /** ms between scheduled recovery points of each target (0: none; default 15 minutes). */
  pointInterval?: number;
  /** Which recovery points a node keeps (default last=8,hourly=24,daily=14). */
  retention?: RetentionPolicy;
}
