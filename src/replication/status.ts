/** What `tandem status`, the metrics endpoint and the control socket report of one replicated LUN. */
import { accessStateName, type PortGroupsReport, type ReplicationStateReport, type TargetPortGroupReport } from '../replica-protocol/index.js';
import type { ControllerSettings, ReplicationController } from './controller.js';
import type { DeltaPassResult } from './delta-pass.js';
import type { DeltaTable } from './delta-table.js';
import { formatGeneration, type GenerationId } from './generations.js';
import type { PeerSync, ResyncStatus } from './peer-sync.js';
import type { PassFailure } from './pass-runner.js';
import type { ReplicaBinding, ReplicaBindingState } from './replica-binding.js';
import type { LinkHealth, ReplicaLink } from './replica-link.js';
import type { ReplicationRole } from './settings.js';
import type { SplitBrainPolicy } from './split-brain-policy.js';
import type { SendQueue } from './send-queue.js';
import { DEFAULT_THRESHOLDS, type ReplicationFigures, type SwitchThresholds } from './switch-criteria.js';
import type { VolumeIdentity } from './volume-record.js';
import type { VolumeState } from './volume-state.js';

export type ReplicationMode = 'continuous' | 'delta' | 'auto';
export type ContinuousFlavour = 'sync' | 'async';
/** The mirroring state of a primary. */
export type MirrorState = 'continuous' | 'delta' | 'catching-up';
/** What status shows: the mirroring state, or why there is none (a backup, a stale primary, a split brain). */
export type ReplicationState = MirrorState | 'backup' | 'stale' | 'split-brain';

export interface SwitchRecord {
  at: number;
  from: MirrorState;
  to: MirrorState;
  reason: string;
  /** What the reason was about (the link error that made the engine leave continuous mirroring). */
  detail?: string;
}

export interface GenerationsView {
  current: string;
  bitmap: string;
  history: string[];
  since: number;
}

export interface PeerView {
  /** The last look at the peer succeeded (its state below is that fresh). */
  reachable: boolean;
  error?: string;
  seenAt?: number;
  role?: ReplicationRole;
  generations?: GenerationsView;
  changedBytes?: number;
  stale?: boolean;
  splitBrain?: boolean;
  resyncing?: boolean;
  resyncBytesLeft?: number;
}

export interface ReplicationStatus {
  role: ReplicationRole;
  mode: ReplicationMode;
  flavour: ContinuousFlavour;
  state: ReplicationState;
  lastSwitch: SwitchRecord | undefined;
  figures: ReplicationFigures;
  /**
   * The send queue (memory and journal): `entries` and `usedBytes` count changes to send and
   * changes sent that await their confirmation, `toSend` the former; `spilledBytes`: its part
   * in the staging journal file.
   */
  journal: { usedBytes: number; capacity: number; entries: number; spilledBytes: number; toSend: number };
  dirtyChunks: number;
  dirtyBytes: number;
  lastPass: (DeltaPassResult & { at: number }) | undefined;
  /** The passes since the last complete one fail: the last failure (retried at the usual cadence). */
  passFailure: PassFailure | undefined;
  identity: VolumeIdentity;
  generations: GenerationsView;
  peer: PeerView | undefined;
  /** Both changed since the common generation: each side's changed bytes. */
  splitBrain: { common: string; localChangedBytes: number; peerChangedBytes: number; policy: SplitBrainPolicy } | undefined;
  /** This primary resynchronising its peer. */
  resync: ResyncStatus | undefined;
  /** This backup being resynchronised from its peer, unfinished. */
  resyncTarget: boolean;
  /** A switchover left this backup without its peer confirming the promotion: it keeps asking the peer to take over. */
  handingOver: boolean;
  /** A backup: when it last applied a write from its primary. */
  newestWriteAt: number | undefined;
  afterSplitBrain: SplitBrainPolicy;
  /** Admin pause: delta tracking only, no passes or return to continuous until resumed. */
  paused: boolean;
  thresholds: SwitchThresholds;
  deltaIntervalMs: number;
  /** Age of the oldest write not yet durable on the backup (0: none; sync continuous: 0). */
  recoveryPointAgeMs: number;
  link: LinkHealth;
  /**
   * Whether the replica may receive data: `bound`; `pending` while it has not been checked
   * since it was last unreachable; `refused` (another volume's); `stale` (the peer is ahead
   * of this primary); `split-brain`; `waiting` (the peer is a primary too).
   */
  binding: ReplicaBindingState;
  /** ALUA: this node's target port group and the peer's, as REPORT TARGET PORT GROUPS shows them. */
  alua: { local: PortGroupView; peer: PortGroupView | undefined };
  /** Recovery points: how many this node holds, its newest, and the last id handed out (by this node as a primary, or taken). */
  points?: PointsView;
}

export interface PointsView {
  held: number;
  newest: { id: number; at: number; origin: string; label?: string } | undefined;
  lastId: number;
}

export interface PortGroupView {
  group: number;
  state: ReturnType<typeof accessStateName>;
}

/** The part of the status only a running primary knows. */
export type PrimaryStatus = Pick<
  ReplicationStatus,
  'mode' | 'flavour' | 'lastSwitch' | 'figures' | 'journal' | 'lastPass' | 'passFailure' | 'paused' | 'thresholds' | 'deltaIntervalMs' | 'recoveryPointAgeMs'
> & { state: MirrorState };

export interface StatusSources {
  controller: ReplicationController | undefined;
  settings: ControllerSettings;
  volume: VolumeState;
  queue: SendQueue;
  table: DeltaTable;
  link: ReplicaLink;
  binding: ReplicaBinding;
  peerSync: PeerSync;
  policy: SplitBrainPolicy;
  newestWriteAt: number | undefined;
  portGroups: PortGroupsReport;
  clock: () => number;
}

const IDLE_FIGURES: ReplicationFigures = { linkUp: false, rttMs: undefined, writeLatencyMs: undefined, inflowBytesPerSec: 0, flushBytesPerSec: 0, journalFill: 0, redundancy: 0 };

/** The send queue's figures as status reports them (under the historical name `journal`). */
export function queueStatus(queue: SendQueue): ReplicationStatus['journal'] {
  return { usedBytes: queue.bytes, capacity: queue.capacity, entries: queue.length, spilledBytes: queue.spilledBytes, toSend: queue.unshippedCount };
}

export function buildStatus(s: StatusSources): ReplicationStatus {
  const primary: PrimaryStatus = s.controller?.status() ?? {
    mode: s.settings.mode,
    flavour: s.settings.flavour,
    state: 'delta',
    lastSwitch: undefined,
    figures: { ...IDLE_FIGURES, linkUp: s.link.health().up },
    journal: queueStatus(s.queue),
    lastPass: undefined,
    passFailure: undefined,
    paused: false,
    thresholds: { ...DEFAULT_THRESHOLDS, ...s.settings.thresholds },
    deltaIntervalMs: s.settings.deltaIntervalMs,
    recoveryPointAgeMs: 0,
  };
  const binding = s.binding.state;
  const role = s.volume.role;
  const state: ReplicationState = role === 'backup' ? 'backup' : binding.state === 'stale' ? 'stale' : binding.state === 'split-brain' ? 'split-brain' : primary.state;
  const peer = s.binding.peer;
  return {
    ...primary,
    role,
    state,
    dirtyChunks: s.table.dirtyChunks,
    dirtyBytes: s.table.dirtyBytes,
    identity: s.volume.identity,
    generations: viewOf(s.volume.generations),
    peer: peerView(s.binding),
    splitBrain:
      binding.state === 'split-brain' && peer
        ? { common: formatGeneration(commonOf(s)), localChangedBytes: s.table.dirtyBytes, peerChangedBytes: peer.changedBytes, policy: s.policy }
        : undefined,
    resync: s.peerSync.status(),
    resyncTarget: s.volume.resyncFrom !== undefined,
    handingOver: s.volume.handingOverTo !== undefined,
    newestWriteAt: s.newestWriteAt,
    afterSplitBrain: s.policy,
    link: s.link.health(),
    binding,
    alua: { local: groupView(s.portGroups.local), peer: s.portGroups.peer && groupView(s.portGroups.peer) },
  };
}

function groupView(g: TargetPortGroupReport): PortGroupView {
  return { group: g.id, state: accessStateName(g.state) };
}

function commonOf(s: StatusSources): GenerationId {
  return s.volume.generations.bitmap;
}

function viewOf(g: { current: GenerationId; bitmap: GenerationId; history: readonly GenerationId[]; since: number }): GenerationsView {
  const text = (id: GenerationId) => (id === 0n ? '' : formatGeneration(id));
  return { current: text(g.current), bitmap: text(g.bitmap), history: g.history.map(text), since: g.since };
}

function peerView(binding: ReplicaBinding): PeerView | undefined {
  const p: ReplicationStateReport | undefined = binding.peer;
  if (!p && binding.peerError === undefined) return undefined;
  return {
    reachable: binding.peerError === undefined,
    ...(binding.peerError !== undefined ? { error: binding.peerError } : {}),
    ...(binding.peerSeenAt !== undefined ? { seenAt: binding.peerSeenAt } : {}),
    ...(p
      ? {
          role: p.role,
          generations: viewOf(p),
          changedBytes: p.changedBytes,
          stale: p.stale,
          splitBrain: p.splitBrain,
          resyncing: p.resyncing,
          resyncBytesLeft: p.resyncBytesLeft,
        }
      : {}),
  };
}
