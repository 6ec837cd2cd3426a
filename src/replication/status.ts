/** What `tandem status`, the metrics endpoint and the control socket report of one replicated LUN. */
import type { DeltaPassResult } from './delta-pass.js';
import type { ReplicaBindingState } from './replica-binding.js';
import type { LinkHealth } from './replica-link.js';
import type { ReplicationFigures, SwitchThresholds } from './switch-criteria.js';
import type { VolumeIdentity } from './volume-identity.js';

export type ReplicationMode = 'continuous' | 'delta' | 'auto';
export type ContinuousFlavour = 'sync' | 'async';
export type ReplicationState = 'continuous' | 'delta' | 'catching-up';

export interface SwitchRecord {
  at: number;
  from: ReplicationState;
  to: ReplicationState;
  reason: string;
}

export interface ReplicationStatus {
  mode: ReplicationMode;
  flavour: ContinuousFlavour;
  state: ReplicationState;
  lastSwitch: SwitchRecord | undefined;
  figures: ReplicationFigures;
  journal: { usedBytes: number; capacity: number; entries: number };
  dirtyChunks: number;
  dirtyBytes: number;
  lastPass: (DeltaPassResult & { at: number }) | undefined;
  identity: VolumeIdentity;
  /** Admin pause: delta tracking only, no passes or return to continuous until resumed. */
  paused: boolean;
  thresholds: SwitchThresholds;
  deltaIntervalMs: number;
  /** Age of the oldest write not yet durable on the backup (0: none; sync continuous: 0). */
  recoveryPointAgeMs: number;
  link: LinkHealth;
  /**
   * Whether the replica was checked to be this volume's: `pending` while it has not been
   * reachable since the start (nothing is sent until it is), `refused` when it turned out
   * to belong to another volume (nothing is ever sent; restart with --start-over to replace it).
   */
  binding: ReplicaBindingState;
}
