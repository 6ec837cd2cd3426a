/** What ReplicatedDevice.open takes, what its onChange reports, and the error of primary-only actions on a backup. */
import type { BlockDevice } from '../block/device.js';
import type { DurableFiles } from '../block/durable-file.js';
import type { DeltaTable } from './delta-table.js';
import type { Logger } from '../util/log.js';
import type { ReplicaLink } from './replica-link.js';
import type { ReplicationRole } from './settings.js';
import type { SplitBrainPolicy } from './split-brain-policy.js';
import type { ContinuousFlavour, ReplicationMode } from './status.js';
import type { SwitchThresholds } from './switch-criteria.js';
import type { DeviceIdentity } from './volume-record.js';

export interface ReplicatedDeviceOptions {
  local: BlockDevice;
  link: ReplicaLink;
  /** The LUN's logical block size, which a replica must share (default: the link's). */
  blockSize?: number;
  /** `<image>.tandem/`: identity, journal, delta table. */
  metaDir: string;
  /** The role of a new volume (--role); a persisted role wins. Default primary. */
  role?: ReplicationRole;
  /** What hosts see on a new primary (VPD 83h, serial); a backup adopts its primary's. */
  device?: DeviceIdentity;
  mode?: ReplicationMode;
  flavour?: ContinuousFlavour;
  chunkSize?: number;
  /**
   * The delta table, opened by the caller already (its chunk size wins over `chunkSize`): the
   * LUN's open marks in it what a restore a crash cut short changed, before the points commit
   * that restore. The device's from then on (closed by close()); the caller's if open fails.
   */
  table?: DeltaTable;
  journalCapacity?: number;
  /** Memory the asynchronous send queue may hold before it spills to the journal (default 64 MiB). */
  queueMemory?: number;
  /** Activity-log extent size (default 4 MiB) and how many extents stay hot (default 1024). */
  activityExtentSize?: number;
  activityExtents?: number;
  thresholds?: Partial<SwitchThresholds>;
  /** Overwrite a replica that belongs to another volume. */
  startOver?: boolean;
  afterSplitBrain?: SplitBrainPolicy;
  /** ms between health/criteria ticks; 0 = no timer (tests call tick()). Default 1000. */
  tickMs?: number;
  /** Delta mode: pass interval (default 60 s). */
  deltaIntervalMs?: number;
  /** How long a clean shutdown waits for the backup to take what is queued (default 2 s); the rest is spilled. */
  shutdownDrainMs?: number;
  /** How long a switchover whose PROMOTE's answer was lost asks the peer whether it took it, and sends it again (default 10 s). */
  promotionConfirmMs?: number;
  clock?: () => number;
  logger?: Logger;
  /** The metadata files' file system (default: node:fs; tests pass one that forgets at a power loss). */
  files?: DurableFiles;
}

/**
 * What ReplicatedDevice.onChange reports.
 * 'restored': the image was rolled back to a recovery point (the primary's session must learn it);
 * 'pass': a delta pass was committed on the backup (a point of origin `pass` follows).
 */
export type DeviceChange = 'role' | 'access' | 'restored' | 'pass';

/** An admin action that only a primary takes (mode, replicate, pause...) on a backup. */
export class NotPrimaryError extends Error {
  /** `which`: the LUN named when a request selected several ("TARGET LUN n: "). */
  constructor(action: string, which = '') {
    super(`${action}: ${which}this node is a backup for this LUN (its primary replicates)`);
    this.name = 'NotPrimaryError';
  }
}

