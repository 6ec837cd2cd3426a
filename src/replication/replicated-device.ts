/**
 * A BlockDevice for one replicated volume, on either node of a pair, so the SCSI layer
 * needs no change. Reads go to the local store. As the primary, host changes are ordered
 * (HostWriteOrder) and carried by the controller's path: `continuous` (sync: ack once
 * applied on both; async: ack once applied locally and queued for the backup), `delta`
 * (local only, the delta table marks chunks) or `catching-up`; each honours the host's
 * durability requests (FUA, SYNCHRONIZE CACHE) exactly as a plain LUN does. As a backup,
 * the primary's writes land on the local store. The role changes at run time (RoleManager).
 */
import { BlockIoError, type BlockDevice } from '../block/device.js';
import type { DigestAlgorithm } from '../block/digest.js';
import type { PortGroupsReport, ReplicationEndpoint } from '../replica-protocol/index.js';
import { nodeFiles, type DurableFiles } from '../block/durable-file.js';
import type { BufferHold } from '../util/buffer-pool.js';
import { moduleLogger, type Logger } from '../util/log.js';
import type { ControllerSettings } from './controller.js';
import type { DeltaPassResult } from './delta-pass.js';
import { DeltaTable, DEFAULT_CHUNK_SIZE } from './delta-table.js';
import { formatGeneration } from './generations.js';
import { HostWriteOrder } from './host-write-order.js';
import type { HostOp } from './host-op.js';
import { recoverAtOpen } from './open-recovery.js';
import type { PassProgress } from './pass-runner.js';
import type { PassStagingLog } from './pass-staging-log.js';
import { PeerEndpoint } from './peer-endpoint.js';
import { PeerSync } from './peer-sync.js';
import { portGroupsOf } from './port-groups.js';
import { PrStateShipper } from './pr-state-shipper.js';
import { ReplicaBinding } from './replica-binding.js';
import type { ReplicaLink } from './replica-link.js';
import { RoleManager, type PromoteResult } from './role-manager.js';
import type { ReplicationRole } from './settings.js';
import type { SplitBrainPolicy } from './split-brain-policy.js';
import { ActivityLog, DEFAULT_EXTENT_SIZE } from './activity-log.js';
import { isCleanShutdown, markCleanShutdown } from './clean-shutdown.js';
import { handOverQueue, resumeQueue } from './queue-handover.js';
import { DEFAULT_QUEUE_MEMORY, SendQueue } from './send-queue.js';
import { StagingJournal } from './staging-journal.js';
import { buildStatus, type ContinuousFlavour, type ReplicationMode, type ReplicationStatus } from './status.js';
import type { SwitchReason, SwitchThresholds } from './switch-criteria.js';
import type { DeviceIdentity } from './volume-record.js';
import { VolumeState } from './volume-state.js';

export interface ReplicatedDeviceOptions {
  local: BlockDevice;
  link: ReplicaLink;
  /** `<image>.tandem/`: identity, journal, delta table. */
  metaDir: string;
  /** The role of a new volume (--role); a persisted role wins. Default primary. */
  role?: ReplicationRole;
  /** What hosts see on a new primary (VPD 83h, serial); a backup adopts its primary's. */
  device?: DeviceIdentity;
  mode?: ReplicationMode;
  flavour?: ContinuousFlavour;
  chunkSize?: number;
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
  clock?: () => number;
  logger?: Logger;
  /** The metadata files' file system (default: node:fs; tests pass one that forgets at a power loss). */
  files?: DurableFiles;
}

/** What ReplicatedDevice.onChange reports. */
export type DeviceChange = 'role' | 'access';

/** An admin action that only a primary takes (mode, replicate, pause...) on a backup. */
export class NotPrimaryError extends Error {
  constructor(action: string) {
    super(`${action}: this node is a backup for this LUN (its primary replicates)`);
    this.name = 'NotPrimaryError';
  }
}

export class ReplicatedDevice implements BlockDevice {
  readonly size: number;
  readonly readOnly: boolean;
  readonly canDiscard: boolean;
  readonly path: string;
  readonly endpoint: ReplicationEndpoint;
  private closed = false;
  /** A backup's newest write from its primary, persisted at most once a tick. */
  private newestWriteAt: number | undefined;
  private readonly listeners: Array<(change: DeviceChange) => void> = [];
  private readonly prState: PrStateShipper;
  /** A role change ran since start: RTPG reports the states as implicitly changed. */
  private accessChanged = false;

  private constructor(
    private readonly local: BlockDevice,
    private readonly link: ReplicaLink,
    private readonly journal: StagingJournal,
    private readonly queue: SendQueue,
    private readonly activity: ActivityLog,
    private readonly table: DeltaTable,
    private readonly order: HostWriteOrder,
    private readonly volume: VolumeState,
    private readonly binding: ReplicaBinding,
    private readonly peerSync: PeerSync,
    private readonly roles: RoleManager,
    private readonly clock: () => number,
    private readonly metaDir: string,
    private readonly files: DurableFiles,
    log: Logger,
  ) {
    this.size = local.size;
    this.readOnly = local.readOnly;
    this.canDiscard = local.canDiscard;
    this.path = local.path;
    this.newestWriteAt = volume.newestWriteAt;
    this.prState = new PrStateShipper(link, clock, log);
    this.prState.start(roles.settings.tickMs);
    roles.onAccessChange = () => {
      this.accessChanged = true;
      this.emit('access');
    };
    this.endpoint = new PeerEndpoint({
      volume,
      table,
      roles,
      binding,
      peerSync,
      log,
      newestWriteAt: () => this.newestWriteAt,
      portGroups: () => this.portGroups(),
      prState: this.prState,
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
    const { local, link, metaDir } = options;
    if (link.size !== local.size) throw new RangeError(`replica is ${link.size} bytes, the local LUN ${local.size}`);
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const extentSize = options.activityExtentSize ?? Math.max(DEFAULT_EXTENT_SIZE, chunkSize);
    // A crash marks whole extents in the delta table: an extent is whole chunks.
    if (extentSize % chunkSize !== 0) throw new RangeError('the activity-log extent size must be a multiple of the chunk size');
    const log = options.logger ?? moduleLogger('replication');
    const clock = options.clock ?? Date.now;
    const initialRole = options.role ?? 'primary';
    const files = options.files ?? nodeFiles;
    const volume = await VolumeState.open({ metaDir, initialRole, files, ...(options.device ? { initialDevice: options.device } : {}), clock });
    if (volume.roleOverridden) log.warn({ event: 'role-persisted', role: volume.role, flag: initialRole }, `this volume was last a ${volume.role}: that role wins over --role ${initialRole}`);
    // Read and removed before anything changes: a crash from here on is not a clean shutdown.
    const clean = await isCleanShutdown(metaDir, files);
    const journal = await StagingJournal.open({ dir: metaDir, files, ...(options.journalCapacity ? { capacity: options.journalCapacity } : {}) });
    let table: DeltaTable | undefined;
    let activity: ActivityLog | undefined;
    try {
      const opened = await DeltaTable.open({ dir: metaDir, files, volumeSize: local.size, chunkSize, flushImage: () => local.flush() });
      table = opened;
      activity = await ActivityLog.open({
        dir: metaDir,
        files,
        volumeSize: local.size,
        extentSize,
        ...(options.activityExtents ? { capacity: options.activityExtents } : {}),
        // An extent leaves the log only once the delta table's marks in it are durable.
        beforeEvict: () => opened.persist(),
      });
      const queueMemory = options.queueMemory ?? DEFAULT_QUEUE_MEMORY;
      const queue = new SendQueue(journal, queueMemory);
      const binding = new ReplicaBinding(volume, link, options.startOver ?? false, table.chunkSize, clock, log);
      const peerSync = new PeerSync(volume, link, table, binding, clock, log);
      const order = new HostWriteOrder();
      const settings: ControllerSettings = {
        mode: options.mode ?? 'auto',
        flavour: options.flavour ?? 'async',
        thresholds: options.thresholds,
        deltaIntervalMs: options.deltaIntervalMs ?? 60_000,
        startInDelta: false,
        tickMs: options.tickMs ?? 1000,
        queueMemory,
        shutdownDrainMs: options.shutdownDrainMs ?? 2_000,
      };
      const roles = new RoleManager({ local, link, metaDir, files, queue, activity, table, order, volume, binding, peerSync, clock, log }, settings, options.afterSplitBrain ?? 'disconnect');
      const primary = volume.role === 'primary';
      // The primary checks its replica before anything else: a foreign one stops the server.
      const bound = primary ? await binding.bind() : undefined;
      if (bound?.kind === 'bound' && bound.resync) await peerSync.start(bound.resync);
      const recovery = await recoverAtOpen(journal, table, activity, volume.identity, clean, bound?.kind === 'bound');
      await resumeQueue(recovery.queued, recovery.startInDelta, queue, journal, table, activity, clock);
      // What the log held before is covered now (marked, or queued again): from here it holds what this run writes.
      await activity.forgetRecovered();
      const device = new ReplicatedDevice(local, link, journal, queue, activity, table, order, volume, binding, peerSync, roles, clock, metaDir, files, log);
      roles.onWatch = () => device.persistNewestWrite();
      roles.start(!recovery.startInDelta);
      if (bound?.kind === 'split-brain') roles.onSplitBrain(bound.splitBrain);
      const { volumeId, generation } = volume.identity;
      log.info(
        {
          event: 'replication-open',
          role: volume.role,
          volumeId,
          generation,
          current: formatGeneration(volume.generations.current),
          bind: bound ? binding.state.state : 'backup',
          resync: bound?.kind === 'bound' ? bound.resync?.why : undefined,
          clean,
          recovered: recovery.recovered,
          queued: queue.length,
          dirtyChunks: table.dirtyChunks,
          state: roles.controller?.currentState ?? 'backup',
        },
        `replication state opened (${volume.role})`,
      );
      return device;
    } catch (e) {
      await journal.close();
      await activity?.close().catch(() => undefined);
      await table?.close();
      throw e;
    }
  }

  // ---- BlockDevice -------------------------------------------------------

  read(buf: Buffer, offset: number): Promise<void> {
    return this.local.read(buf, offset);
  }

  write(buf: Buffer, offset: number, fua = false, hold?: BufferHold): Promise<void> {
    return this.change({ offset, length: buf.length, data: buf, fua, hold });
  }

  /** Replicated like a write: an UNMAP on the backup (or a discard record in the journal). */
  discard(offset: number, length: number): Promise<void> {
    return this.change({ offset, length, fua: false });
  }

  /** SYNCHRONIZE CACHE: durable locally, and in synchronous mirroring on the backup too. */
  flush(): Promise<void> {
    return this.roles.controller?.flush() ?? this.local.flush();
  }

  allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    return this.local.allocation(offset, maxLength);
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
   * Every change of the image: ordered against overlapping ones (so both nodes apply them
   * in one order), and refused if the role changed while it waited (a host write that
   * reached a node just demoted, a primary's write that reached a node just promoted).
   */
  private change(op: HostOp): Promise<void> {
    const epoch = this.roles.epoch;
    return this.order.run(op.offset, op.length, async () => {
      if (this.roles.epoch !== epoch) throw new BlockIoError('EROFS', 30, 'the volume changed role while this write waited');
      const controller = this.roles.controller;
      if (controller) return controller.apply(op);
      await (op.data ? this.local.write(op.data, op.offset, op.fua, op.hold) : this.local.discard(op.offset, op.length));
      this.newestWriteAt = this.clock();
    });
  }

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
      changedImplicitly: this.accessChanged,
    });
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

  async demote(): Promise<void> {
    await this.roles.demote();
    this.emit('role');
  }

  async switchover(): Promise<{ heldMs: number }> {
    try {
      return await this.roles.switchover();
    } finally {
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

  private primaryController(action: string) {
    const controller = this.roles.controller;
    if (!controller) throw new NotPrimaryError(action);
    return controller;
  }
}
