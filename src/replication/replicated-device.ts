/**
 * A BlockDevice that mirrors a local store onto a ReplicaLink, so the SCSI layer needs no
 * change. Reads go to the local store; host changes are ordered (HostWriteOrder) and
 * carried by the path of the controller's state: `continuous` (sync: ack after durable on
 * both; async: ack after the staging journal is durable and the local write is done),
 * `delta` (local only, the delta table marks chunks) and `catching-up` (delta passes
 * running before continuous resumes).
 */
import type { BlockDevice } from '../block/device.js';
import { nodeFiles, type DurableFiles } from '../util/durable-file.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { ReplicationController } from './controller.js';
import type { DeltaPassResult } from './delta-pass.js';
import { DeltaTable, DEFAULT_CHUNK_SIZE } from './delta-table.js';
import { HostWriteOrder } from './host-write-order.js';
import { recoverAtOpen } from './open-recovery.js';
import type { PassProgress } from './pass-runner.js';
import { ReplicaBinding } from './replica-binding.js';
import type { ReplicaLink } from './replica-link.js';
import { StagingJournal } from './staging-journal.js';
import type { ContinuousFlavour, ReplicationMode, ReplicationStatus } from './status.js';
import type { SwitchReason, SwitchThresholds } from './switch-criteria.js';
import { loadOrCreateIdentity } from './volume-identity.js';


export interface ReplicatedDeviceOptions {
  local: BlockDevice;
  link: ReplicaLink;
  /** `<image>.tandem/`: identity, journal, delta table. */
  metaDir: string;
  mode?: ReplicationMode;
  flavour?: ContinuousFlavour;
  chunkSize?: number;
  journalCapacity?: number;
  thresholds?: Partial<SwitchThresholds>;
  /** Overwrite a replica that belongs to another volume. */
  startOver?: boolean;
  /** ms between health/criteria ticks; 0 = no timer (tests call tick()). Default 1000. */
  tickMs?: number;
  /** Delta mode: pass interval (default 60 s). */
  deltaIntervalMs?: number;
  clock?: () => number;
  logger?: Logger;
  /** The metadata files' file system (default: node:fs; tests pass one that forgets at a power loss). */
  files?: DurableFiles;
}

export class ReplicatedDevice implements BlockDevice {
  readonly size: number;
  readonly readOnly: boolean;
  readonly canDiscard: boolean;
  readonly path: string;
  private closed = false;

  private constructor(
    private readonly local: BlockDevice,
    private readonly link: ReplicaLink,
    private readonly journal: StagingJournal,
    private readonly table: DeltaTable,
    private readonly order: HostWriteOrder,
    private readonly controller: ReplicationController,
  ) {
    this.size = local.size;
    this.readOnly = local.readOnly;
    this.canDiscard = local.canDiscard;
    this.path = local.path;
  }

  /**
   * Opens the replication state beside the LUN: replays the staging journal onto the local
   * store, checks the replica's identity (ReplicaMismatchError unless startOver), and
   * starts in delta mode whenever the replica may differ (first sync, crash, lost tracking).
   */
  static async open(options: ReplicatedDeviceOptions): Promise<ReplicatedDevice> {
    const { local, link, metaDir } = options;
    if (link.size !== local.size) throw new RangeError(`replica is ${link.size} bytes, the local LUN ${local.size}`);
    const log = options.logger ?? moduleLogger('replication');
    const clock = options.clock ?? Date.now;
    const files = options.files ?? nodeFiles;
    const identity = await loadOrCreateIdentity(metaDir, files);
    const journal = await StagingJournal.open({ dir: metaDir, files, ...(options.journalCapacity ? { capacity: options.journalCapacity } : {}) });
    let table: DeltaTable | undefined;
    try {
      table = await DeltaTable.open({ dir: metaDir, files, volumeSize: local.size, chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE, flushImage: () => local.flush() });
      const { binding, outcome } = await ReplicaBinding.atOpen(metaDir, identity, link, options.startOver ?? false, files);
      const { recovered, startInDelta } = await recoverAtOpen(local, journal, table, binding.identity, outcome);
      const order = new HostWriteOrder();
      const controller = new ReplicationController(
        { local, link, metaDir, files, journal, table, order, binding, clock, log },
        {
          mode: options.mode ?? 'auto',
          flavour: options.flavour ?? 'async',
          thresholds: options.thresholds,
          deltaIntervalMs: options.deltaIntervalMs ?? 60_000,
          startInDelta,
          tickMs: options.tickMs ?? 1000,
        },
      );
      const { volumeId, generation } = binding.identity;
      log.info(
        { event: 'replication-open', volumeId, generation, bind: outcome ?? 'pending', recovered, dirtyChunks: table.dirtyChunks, state: controller.currentState },
        binding.bound ? 'replication state opened' : 'replication state opened; the replica is not reachable yet (writes are tracked in the delta table)',
      );
      return new ReplicatedDevice(local, link, journal, table, order, controller);
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

  write(buf: Buffer, offset: number, fua = false): Promise<void> {
    // Overlapping writes in flight at once could land in one order here and another on
    // the backup (or in the journal); ordering them keeps both images the same.
    return this.order.run(offset, buf.length, () => this.controller.apply({ offset, length: buf.length, data: buf, fua }));
  }

  /** Replicated like a write: an UNMAP on the backup (or a discard record in the journal). */
  discard(offset: number, length: number): Promise<void> {
    return this.order.run(offset, length, () => this.controller.apply({ offset, length, fua: false }));
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.controller.close();
    await this.table.close();
    await this.journal.close();
    await this.link.close().catch(() => undefined);
    await this.local.close();
  }

  // ---- replication admin (the control socket) ----------------------------

  status(): ReplicationStatus {
    return this.controller.status();
  }

  tick(): Promise<void> {
    return this.controller.tick();
  }

  switchToDelta(reason: SwitchReason, detail?: string): Promise<void> {
    return this.controller.switchToDelta(reason, detail);
  }

  setMode(mode: ReplicationMode, flavour?: ContinuousFlavour): Promise<void> {
    return this.controller.setMode(mode, flavour);
  }

  pause(): Promise<void> {
    return this.controller.pause();
  }

  resume(): void {
    this.controller.resume();
  }

  setThreshold(key: keyof SwitchThresholds | 'deltaIntervalMs', value: number): void {
    this.controller.setThreshold(key, value);
  }

  replicateNow(onProgress?: PassProgress): Promise<DeltaPassResult> {
    return this.controller.replicateNow(onProgress);
  }
}
