/**
 * A BlockDevice for one replicated volume, on either node of a pair, so the SCSI layer
 * needs no change. Reads go to the local store. As the primary, host changes are ordered
 * (HostWriteOrder) and carried by the controller's path: `continuous` (sync: ack after
 * durable on both; async: ack after the staging journal is durable and the local write is
 * done), `delta` (local only, the delta table marks chunks) or `catching-up`. As a backup,
 * the primary's writes land on the local store. The role changes at run time (RoleManager).
 */
import { BlockIoError, type BlockDevice } from '../block/device.js';
import type { DigestAlgorithm } from '../block/digest.js';
import type { ReplicationEndpoint } from '../replica-protocol/index.js';
import { nodeFiles, type DurableFiles } from '../block/durable-file.js';
import type { BufferHold } from '../util/buffer-pool.js';
import { moduleLogger, type Logger } from '../util/log.js';
import type { ControllerSettings } from './controller.js';
import type { DeltaPassResult } from './delta-pass.js';
import { DeltaTable, DEFAULT_CHUNK_SIZE } from './delta-table.js';
import { HostWriteOrder } from './host-write-order.js';
import type { HostOp } from './host-op.js';
import { recoverAtOpen } from './open-recovery.js';
import type { PassProgress } from './pass-runner.js';
import type { PassStagingLog } from './pass-staging-log.js';
import { PeerEndpoint } from './peer-endpoint.js';
import { PeerSync } from './peer-sync.js';
import { ReplicaBinding } from './replica-binding.js';
import type { ReplicaLink } from './replica-link.js';
import { RoleManager, type PromoteResult } from './role-manager.js';
import type { ReplicationRole } from './settings.js';
import type { SplitBrainPolicy } from './split-brain-policy.js';
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
  thresholds?: Partial<SwitchThresholds>;
  /** Overwrite a replica that belongs to another volume. */
  startOver?: boolean;
  afterSplitBrain?: SplitBrainPolicy;
  /** ms between health/criteria ticks; 0 = no timer (tests call tick()). Default 1000. */
  tickMs?: number;
  /** Delta mode: pass interval (default 60 s). */
  deltaIntervalMs?: number;
  clock?: () => number;
  logger?: Logger;
  /** The metadata files' file system (default: node:fs; tests pass one that forgets at a power loss). */
  files?: DurableFiles;
}

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
  private readonly listeners: Array<(change: 'role') => void> = [];

  private constructor(
    private readonly local: BlockDevice,
    private readonly link: ReplicaLink,
    private readonly journal: StagingJournal,
    private readonly table: DeltaTable,
    private readonly order: HostWriteOrder,
    private readonly volume: VolumeState,
    private readonly binding: ReplicaBinding,
    private readonly peerSync: PeerSync,
    private readonly roles: RoleManager,
    private readonly clock: () => number,
    log: Logger,
  ) {
    this.size = local.size;
    this.readOnly = local.readOnly;
    this.canDiscard = local.canDiscard;
    this.path = local.path;
    this.newestWriteAt = volume.newestWriteAt;
    this.endpoint = new PeerEndpoint({
      volume,
      table,
      roles,
      binding,
      peerSync,
      log,
      newestWriteAt: () => this.newestWriteAt,
    });
  }

  /**
   * Opens the replication state beside the LUN: replays the staging journal onto the local
   * store; as the primary, checks the replica (ReplicaMismatchError unless startOver) and
   * starts in delta mode whenever the replica may differ (first sync, crash, lost tracking).
   */
  static async open(options: ReplicatedDeviceOptions): Promise<ReplicatedDevice> {
    const { local, link, metaDir } = options;
    if (link.size !== local.size) throw new RangeError(`replica is ${link.size} bytes, the local LUN ${local.size}`);
    const log = options.logger ?? moduleLogger('replication');
    const clock = options.clock ?? Date.now;
    const initialRole = options.role ?? 'primary';
    const files = options.files ?? nodeFiles;
    const volume = await VolumeState.open({ metaDir, initialRole, files, ...(options.device ? { initialDevice: options.device } : {}), clock });
    if (volume.roleOverridden) log.warn({ event: 'role-persisted', role: volume.role, flag: initialRole }, `this volume was last a ${volume.role}: that role wins over --role ${initialRole}`);
    const journal = await StagingJournal.open({ dir: metaDir, files, ...(options.journalCapacity ? { capacity: options.journalCapacity } : {}) });
    let table: DeltaTable | undefined;
    try {
      table = await DeltaTable.open({ dir: metaDir, files, volumeSize: local.size, chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE, flushImage: () => local.flush() });
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
      };
      const roles = new RoleManager({ local, link, metaDir, files, journal, table, order, volume, binding, peerSync, clock, log }, settings, options.afterSplitBrain ?? 'disconnect');
      const primary = volume.role === 'primary';
      // The primary checks its replica before anything else: a foreign one stops the server.
      const bound = primary ? await binding.bind() : undefined;
      if (bound?.kind === 'bound' && bound.resync) await peerSync.start(bound.resync);
      const recovery = await recoverAtOpen(local, journal, table, volume.identity, bound?.kind === 'bound');
      const device = new ReplicatedDevice(local, link, journal, table, order, volume, binding, peerSync, roles, clock, log);
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
          current: volume.generations.current.toString(16),
          bind: bound ? binding.state.state : 'backup',
          resync: bound?.kind === 'bound' ? bound.resync?.why : undefined,
          recovered: recovery.recovered,
          dirtyChunks: table.dirtyChunks,
          state: roles.controller?.currentState ?? 'backup',
        },
        `replication state opened (${volume.role})`,
      );
      return device;
    } catch (e) {
      await journal.close();
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

  flush(): Promise<void> {
    return this.local.flush();
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.roles.close();
    await this.persistNewestWrite();
    await this.table.close();
    await this.journal.close();
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

  /** Called when the role changes (unit attentions for hosts). */
  onChange(listener: (change: 'role') => void): void {
    this.listeners.push(listener);
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

  private emit(change: 'role'): void {
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
      journal: this.journal,
      table: this.table,
      link: this.link,
      binding: this.binding,
      peerSync: this.peerSync,
      policy: this.roles.policy,
      newestWriteAt: this.newestWriteAt,
      clock: this.clock,
    });
  }

  async tick(): Promise<void> {
    const controller = this.roles.controller;
    if (controller) await controller.tick();
    else await this.roles.watch();
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

