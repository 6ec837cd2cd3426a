/** What a volume's replication controller is made of (its parts, shared with the role manager) and how it is set up. */
import type { BlockDevice } from '../block/device.js';
import type { DurableFiles } from '../block/durable-file.js';
import type { Logger } from '../util/log.js';
import type { ActivityLog } from './activity-log.js';
import type { DeltaTable } from './delta-table.js';
import type { HostWriteOrder } from './host-write-order.js';
import type { PassTrigger } from './pass-runner.js';
import type { PeerSync } from './peer-sync.js';
import type { ReplicaBinding, SplitBrain } from './replica-binding.js';
import type { ReplicaLink } from './replica-link.js';
import type { SendQueue } from './send-queue.js';
import type { ContinuousFlavour, ReplicationMode } from './status.js';
import type { SwitchThresholds } from './switch-criteria.js';
import type { VolumeState } from './volume-state.js';

export interface ControllerParts {
  local: BlockDevice;
  link: ReplicaLink;
  metaDir: string;
  files: DurableFiles;
  queue: SendQueue;
  activity: ActivityLog;
  table: DeltaTable;
  order: HostWriteOrder;
  volume: VolumeState;
  binding: ReplicaBinding;
  peerSync: PeerSync;
  clock: () => number;
  log: Logger;
  /** The binding found a split brain (the volume applies its policy); `again`: it found one at the bind before too. */
  onSplitBrain(splitBrain: SplitBrain, again: boolean): void;
  /** The binding found this primary stale: its peer is ahead (the volume may apply its policy). */
  onStale(): void;
  /** A pass left the backup at a consistent image (a recovery point of origin `pass` may follow). */
  onPassCommitted?(trigger: PassTrigger): void;
}

export interface ControllerSettings {
  mode: ReplicationMode;
  flavour: ContinuousFlavour;
  thresholds: Partial<SwitchThresholds> | undefined;
  deltaIntervalMs: number;
  /** Start in delta state, and challenge before the first pass copies (the replica may differ). */
  startInDelta: boolean;
  /** ms between health/criteria ticks; 0 = no timer (tests call tick()). */
  tickMs: number;
  /** Memory the send queue may hold before it spills to the staging journal. */
  queueMemory: number;
  /** How long a clean shutdown waits for the backup to take what is queued. */
  shutdownDrainMs: number;
  /** How long a switchover whose PROMOTE's answer was lost asks the peer whether it took it. */
  promotionConfirmMs: number;
}
