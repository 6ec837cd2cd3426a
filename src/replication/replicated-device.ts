/**
 * A BlockDevice for one replicated volume, on either node of a pair, so the SCSI layer
 * needs no change. Reads go to the local store. As the primary, host changes are ordered
 * (HostWriteOrder) and carried by the controller's path: `continuous` (sync: ack once
 * applied on both; async: ack once applied locally and queued for the backup), `delta`
 * (local only, the delta table marks chunks) or `catching-up`; each honours the host's
 * durability requests (FUA, SYNCHRONIZE CACHE) exactly as a plain LUN does. As a backup,
 * the primary's writes land on the local store. The role changes at run time (RoleManager).
 */
import { BlockIoError, allocationMapOf, type AllocationExtent, type BlockDevice } from '../block/device.js';
import type { DigestAlgorithm } from '../block/digest.js';
import type { PortGroupsReport, ReplicationEndpoint } from '../replica-protocol/index.js';
import type { PointPlan } from './points/point-planner.js';
import type { BufferHold } from '../util/buffer-pool.js';
import type { DeltaPassResult } from './delta-pass.js';
import { applyLocally, type HostOp } from './host-op.js';
import type { PassProgress } from './pass-runner.js';
import type { PassStagingLog } from './pass-staging-log.js';
import { PeerEndpoint } from './peer-endpoint.js';
import type { DurableFiles } from '../block/durable-file.js';
import type { ActivityLog } from './activity-log.js';
import { markCleanShutdown } from './clean-shutdown.js';
import type { DeltaTable } from './delta-table.js';
import type { HostWriteOrder } from './host-write-order.js';
import type { PeerSync } from './peer-sync.js';
import { handOverQueue } from './queue-handover.js';
import type { ReplicaBinding } from './replica-binding.js';
import type { ReplicaLink } from './replica-link.js';
import { NotPrimaryError, type DeviceChange, type ReplicatedDeviceOptions } from './replicated-device-options.js';
import { openDeviceParts, type DeviceParts } from './replicated-device-parts.js';
import type { PromoteResult, RoleManager } from './role-manager.js';
import { verifyHooks, type VerifyHooks } from './verify-hooks.js';
import type { ReplicationRole } from './settings.js';
import type { SplitBrainPolicy } from './split-brain-policy.js';
import type { SendQueue } from './send-queue.js';
import type { StagingJournal } from './staging-journal.js';
import type { SwitchReason, SwitchThresholds } from './switch-criteria.js';
import type { DeviceIdentity } from './volume-record.js';
import type { VolumeState } from './volume-state.js';
import { NodePoints } from './points/node-points.js';
import { ownAccessState, portGroupsOf } from './port-groups.js';
import { PrStateShipper } from './pr-state-shipper.js';
import { buildStatus, type ContinuousFlavour, type ReplicationMode, type ReplicationStatus } from './status.js';

export { NotPrimaryError, type DeviceChange, type ReplicatedDeviceOptions } from './replicated-device-options.js';

export class ReplicatedDevice implements BlockDevice {
  readonly size: number;
  readonly readOnly: boolean;
  readonly canDiscard: boolean;
  readonly path: string;
  readonly endpoint: ReplicationEndpoint;
  private readonly peerEndpoint: PeerEndpoint;
  /** This node's recovery points: list, export, expose, restore, retention. */
  readonly points: NodePoints;
  private closed = false;
  /** A backup's newest write from its primary, persisted at most once a tick. */
  private newestWriteAt: number | undefined;
  private readonly listeners: Array<(change: DeviceChange) => void> = [];
  private readonly prState: PrStateShipper;
  /** A role change ran since start: RTPG reports the states as implicitly changed. */
  private accessChanged = false;

  private readonly local: BlockDevice;
  private readonly link: ReplicaLink;
  private readonly journal: StagingJournal;
  private readonly queue: SendQueue;
  private readonly activity: ActivityLog;
  private readonly table: DeltaTable;
  private readonly order: HostWriteOrder;
  private readonly volume: VolumeState;
  private readonly binding: ReplicaBinding;
  private readonly peerSync: PeerSync;
  private readonly roles: RoleManager;
  private readonly clock: () => number;
  private readonly metaDir: string;
  private readonly files: DurableFiles;

  private constructor(parts: DeviceParts) {
    ({ local: this.local, link: this.link, journal: this.journal, queue: this.queue, activity: this.activity, table: this.table, order: this.order } = parts);
    ({ volume: this.volume, binding: this.binding, peerSync: this.peerSync, roles: this.roles, clock: this.clock, metaDir: this.metaDir, files: this.files } = parts);
    const { local, link, table, order, volume, binding, peerSync, roles, clock, log } = parts;
    this.size = local.size;
    this.readOnly = local.readOnly;
    this.canDiscard = local.canDiscard;
    this.path = local.path;
    this.newestWriteAt = volume.newestWriteAt;
    this.prState = new PrStateShipper(link, () => volume.identity.volumeId, clock, log, () => volume.generations.current === 0n);
    this.prState.start(roles.settings.tickMs);
    roles.onAccessChange = () => {
      this.accessChanged = true;
      this.emit('access');
    };
    this.endpoint = this.peerEndpoint = new PeerEndpoint({
      volume, table, roles, binding, peerSync, log,
      newestWriteAt: () => this.newestWriteAt,
      portGroups: () => this.portGroups(),
      localAccessState: () => ownAccessState(this.roles.role, this.roles.transitioning, this.binding.stale),
      prState: this.prState,
      points: undefined,
    });
    this.points = new NodePoints({
      holder: this.peerEndpoint, order, table, size: this.size, path: this.path, clock, log,
      isBackup: () => this.roles.role === 'backup',
      restored: () => {
        // The image holds what the point holds: no write newer than the point (promote and status say so).
        const at = this.points.newest()?.at;
        if (at !== undefined && (this.newestWriteAt === undefined || at < this.newestWriteAt)) this.newestWriteAt = at;
        this.emit('restored');
      },
    });
  }

  /**
   * Opens the replication state beside the LUN: after a crash, marks what may differ from
   * the backup (hot activity-log extents, queued changes); after a clean shutdown, takes
   * the spilled send queue up again; as the primary, checks the replica
   * (ReplicaMismatchError unless startOver) and starts in delta mode whenever the replica
   * may differ (first sync, crash, lost tracking).
   */
  static async open(options: ReplicatedDeviceOptions): Promise<ReplicatedDevice> {
    // Listeners hang on the device, made below; passes only start once it exists.
    let made: ReplicatedDevice | undefined;
    const opened = await openDeviceParts(options, () => made?.emit('pass'));
    const device = new ReplicatedDevice(opened.parts);
    made = device;
    opened.start(() => device.persistNewestWrite());
    return device;
  }

  // ---- BlockDevice -------------------------------------------------------

  read(buf: Buffer, offset: number): Promise<void> {
    return this.local.read(buf, offset);
  }

  write(buf: Buffer, offset: number, fua = false, hold?: BufferHold): Promise<void> {
    return this.order.run({ offset, length: buf.length, data: buf, fua, hold, epoch: this.roles.epoch }, this.applyInTurn);
  }

  /** Replicated like a write: an UNMAP on the backup (or a discard record in the journal). */
  discard(offset: number, length: number): Promise<void> {
    return this.order.run({ offset, length, fua: false, epoch: this.roles.epoch }, this.applyInTurn);
  }

  /** SYNCHRONIZE CACHE: durable locally, and in synchronous mirroring on the backup too. */
  flush(): Promise<void> {
    return this.roles.controller?.flush() ?? this.local.flush();
  }

  allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    return this.local.allocation(offset, maxLength);
  }

  allocationMap(offset: number, maxLength: number, maxExtents?: number): Promise<AllocationExtent[]> {
    return allocationMapOf(this.local, offset, maxLength, maxExtents);
  }

  sha256(offset: number, length: number): Promise<Buffer> {
    return this.local.sha256(offset, length);
  }

  get digestAlgorithms(): readonly DigestAlgorithm[] {
    return this.local.digestAlgorithms;
  }

  digestExtents(extents: Float64Array, algorithm: DigestAlgorithm): Promise<Buffer> {
    return this.local.digestExtents(extents, algorithm);
  }

  /**
   * A clean shutdown: what is queued is shipped if the backup answers, the rest is spilled
   * to the journal, every table and log made durable, and only then the shutdown is marked
   * clean (the next open takes the queue up again instead of resynchronising).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.prState.stop();
    await this.roles.close();
    await this.persistNewestWrite();
    await handOverQueue(this.queue, this.table);
    await this.local.flush();
    await this.table.close();
    await this.activity.close();
    await this.journal.close();
    await markCleanShutdown(this.metaDir, this.files);
    await this.link.close().catch(() => undefined);
    await this.local.close();
  }

  /**
   * Every change of the image, in its turn (HostWriteOrder: after overlapping ones, so both
   * nodes apply them in one order), refused if the role changed while it waited (a host write
   * that reached a node just demoted, a primary's write that reached a node just promoted).
   */
  private readonly applyInTurn = (op: HostOp & { epoch: number }): Promise<void> => {
    if (this.roles.epoch !== op.epoch) return Promise.reject(new BlockIoError('EROFS', 30, 'the volume changed role while this write waited'));
    return this.roles.controller?.apply(op) ?? this.applyUnreplicated(op);
  };

  /** No engine (a backup, or a volume not replicating): the image takes the change as it is. No async frame: a backup applies every shipped change here. */
  private applyUnreplicated(op: HostOp): Promise<void> {
    return applyLocally(this.local, op, op.fua).then(this.wroteUnreplicated);
  }

  private readonly wroteUnreplicated = (): void => void (this.newestWriteAt = this.clock());

  // ---- roles ---------------------------------------------------------------

  get role(): ReplicationRole {
    return this.roles.role;
  }

  /** The LU's write guard: a primary takes host writes (unless stale), a backup only its primary's. */
  acceptsWrites(fromReplicator: boolean): boolean {
    return this.roles.acceptsWrites(fromReplicator);
  }

  /** The identity hosts see: the volume's, once it has one. */
  get deviceIdentity(): DeviceIdentity | undefined {
    return this.volume.device;
  }

  /** Called when the role changes, and when the ALUA access state hosts see may have ('access'): unit attentions for hosts. */
  onChange(listener: (change: DeviceChange) => void): void {
    this.listeners.push(listener);
  }

  /** ALUA: this node's target port group and the peer's, with their access states now. */
  portGroups(): PortGroupsReport {
    return portGroupsOf({
      role: this.roles.role,
      transitioning: this.roles.transitioning,
      stale: this.binding.stale,
      portGroup: this.volume.portGroup,
      peer: this.binding.peer,
      peerReachable: this.link.health().up,
      peerPrimary: this.binding.state.state === 'split-brain' || this.binding.state.state === 'waiting',
      changedImplicitly: this.accessChanged,
    });
  }

  // ---- recovery points (a consistency group drives these) ----------------

  /** Runs `fn` with no pass of this volume's engine starting meanwhile (a primary only). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.primaryController('point').exclusive(fn);
  }

  /** Host writes to this volume wait while `fn` runs (those in progress finish first). */
  holding<T>(fn: () => Promise<T>): Promise<T> {
    return this.order.holding(fn);
  }

  planPoint(): Promise<PointPlan> {
    return this.primaryController('point').planPoint();
  }

  /** The highest point id this node handed out or its store ever took (removed since or not): the next one is above it. */
  get lastPointId(): number {
    return Math.max(this.volume.lastPointId, this.peerEndpoint.lastPointTaken);
  }

  async notePointId(id: number): Promise<void> {
    if (id > this.volume.lastPointId) await this.volume.update(() => ({ lastPointId: id }));
  }

  attachStaging(staging: PassStagingLog): void {
    this.roles.attachStaging(staging);
    staging.onCommit = () => (this.newestWriteAt = this.clock());
  }

  async promote(force: boolean): Promise<PromoteResult> {
    // What it reports (and a refusal names) is the persisted newest write: bring it up to date.
    await this.persistNewestWrite();
    const result = await this.roles.promote(force);
    this.emit('role');
    return result;
  }

  /** Throws the refusal `promote(force)` or `switchover()` would meet now, changing nothing. */
  async checkRoleChange(change: 'promote' | 'switchover', force = false): Promise<void> {
    if (change === 'switchover') return void this.roles.checkSwitchover();
    // A refusal names the persisted newest write, as promote's does.
    await this.persistNewestWrite();
    await this.roles.checkPromote(force);
  }

  async demote(): Promise<void> {
    await this.roles.demote();
    this.emit('role');
  }

  async switchover(): Promise<{ heldMs: number }> {
    try {
      return await this.roles.switchover();
    } finally {
      // Handed over, it holds every write acknowledged until now, not just what it last applied
      // as a backup: status and a later `promote` say so (persisted at the next tick).
      if (this.roles.role === 'backup') this.newestWriteAt = this.clock();
      this.emit('role');
    }
  }

  async resolveDiscardLocal(): Promise<{ discardedBytes: number }> {
    const result = await this.roles.resolveDiscardLocal();
    this.emit('role');
    return result;
  }

  setSplitBrainPolicy(policy: SplitBrainPolicy): void {
    this.roles.setSplitBrainPolicy(policy);
  }

  private emit(change: DeviceChange): void {
    for (const l of this.listeners) l(change);
  }

  /** A backup's newest applied write, persisted when it moved (a backup's watch tick, promote, close). */
  async persistNewestWrite(): Promise<void> {
    const at = this.newestWriteAt;
    if (at !== undefined && at !== this.volume.newestWriteAt) await this.volume.update(() => ({ newestWriteAt: at }));
  }

  // ---- replication admin (the control socket) ----------------------------

  status(): ReplicationStatus {
    const points = this.points.view(this.lastPointId);
    return { ...this.buildStatus(), ...(points ? { points } : {}) };
  }

  private buildStatus(): ReplicationStatus {
    return buildStatus({
      controller: this.roles.controller,
      settings: this.roles.settings,
      volume: this.volume,
      queue: this.queue,
      table: this.table,
      link: this.link,
      binding: this.binding,
      peerSync: this.peerSync,
      policy: this.roles.policy,
      newestWriteAt: this.newestWriteAt,
      portGroups: this.portGroups(),
      clock: this.clock,
    });
  }

  async tick(): Promise<void> {
    const controller = this.roles.controller;
    if (controller) await controller.tick();
    else await this.roles.watch();
    await this.prState.tick();
    await this.persistNewestWrite();
  }

  switchToDelta(reason: SwitchReason, detail?: string): Promise<void> {
    return this.primaryController('mode').switchToDelta(reason, detail);
  }

  async setMode(mode: ReplicationMode, flavour?: ContinuousFlavour): Promise<void> {
    this.roles.settings.mode = mode;
    if (flavour) this.roles.settings.flavour = flavour;
    await this.roles.controller?.setMode(mode, flavour);
  }

  pause(): Promise<void> {
    return this.primaryController('pause').pause();
  }

  resume(): void {
    this.primaryController('resume').resume();
  }

  setThreshold(key: keyof SwitchThresholds | 'deltaIntervalMs', value: number): void {
    this.roles.controller?.setThreshold(key, value);
    if (key === 'deltaIntervalMs') this.roles.settings.deltaIntervalMs = value;
    else this.roles.settings.thresholds = { ...this.roles.settings.thresholds, [key]: value };
  }

  replicateNow(onProgress?: PassProgress): Promise<DeltaPassResult> {
    return this.primaryController('replicate').replicateNow(onProgress);
  }

  /** `tandem verify` of the running pair, this node its primary (verify-hooks.ts). */
  verifyHooks(): VerifyHooks {
    return verifyHooks(this.primaryController('verify'), this.table, this.link, this.order);
  }

  private primaryController(action: string) {
    const controller = this.roles.controller;
    if (!controller) throw new NotPrimaryError(action);
    return controller;
  }
}
