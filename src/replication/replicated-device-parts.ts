/**
 * Opening a replicated volume's parts beside the LUN (ReplicatedDevice.open): after a
 * crash, marks what may differ from the backup (hot activity-log extents, queued changes);
 * after a clean shutdown, takes the spilled send queue up again; as the primary, checks the
 * replica (ReplicaMismatchError unless startOver) and starts in delta mode whenever the
 * replica may differ (first sync, crash, lost tracking).
 */
import type { BlockDevice } from '../block/device.js';
import { nodeFiles, type DurableFiles } from '../block/durable-file.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { ActivityLog, DEFAULT_EXTENT_SIZE } from './activity-log.js';
import { isCleanShutdown } from './clean-shutdown.js';
import type { ControllerSettings } from './controller.js';
import { DEFAULT_CHUNK_SIZE, DeltaTable } from './delta-table.js';
import { formatGeneration } from './generations.js';
import { HostWriteOrder } from './host-write-order.js';
import { recoverAtOpen } from './open-recovery.js';
import { PeerSync } from './peer-sync.js';
import { resumeQueue } from './queue-handover.js';
import { ReplicaBinding } from './replica-binding.js';
import type { ReplicaLink } from './replica-link.js';
import type { ReplicatedDeviceOptions } from './replicated-device-options.js';
import { RoleManager } from './role-manager.js';
import { DEFAULT_QUEUE_MEMORY, SendQueue } from './send-queue.js';
import { StagingJournal } from './staging-journal.js';
import { VolumeState } from './volume-state.js';

/** Everything a ReplicatedDevice is made of. */
export interface DeviceParts {
  local: BlockDevice;
  link: ReplicaLink;
  journal: StagingJournal;
  queue: SendQueue;
  activity: ActivityLog;
  table: DeltaTable;
  order: HostWriteOrder;
  volume: VolumeState;
  binding: ReplicaBinding;
  peerSync: PeerSync;
  roles: RoleManager;
  clock: () => number;
  metaDir: string;
  files: DurableFiles;
  log: Logger;
}

export interface OpenedParts {
  parts: DeviceParts;
  /** Once the device exists: starts its role (and logs what was opened). */
  start(persistNewestWrite: () => Promise<void>): void;
}

export async function openDeviceParts(options: ReplicatedDeviceOptions, onPassCommitted: () => void): Promise<OpenedParts> {
  const { local, link, metaDir } = options;
  const chunkSize = options.table?.chunkSize ?? options.chunkSize ?? DEFAULT_CHUNK_SIZE;
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
    const opened = options.table ?? (await DeltaTable.open({ dir: metaDir, files, volumeSize: local.size, chunkSize, flushImage: () => local.flush() }));
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
    const binding = new ReplicaBinding(volume, link, options.startOver ?? false, table.chunkSize, { size: local.size, blockSize: options.blockSize ?? link.blockSize }, clock, log);
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
      promotionConfirmMs: options.promotionConfirmMs ?? 10_000,
    };
    const roles = new RoleManager({ local, link, metaDir, files, queue, activity, table, order, volume, binding, peerSync, clock, log, onPassCommitted }, settings, options.afterSplitBrain ?? 'disconnect');
    // The primary checks its replica before anything else: a foreign one stops the server.
    const bound = volume.role === 'primary' ? await binding.bind() : undefined;
    if (bound?.kind === 'bound' && bound.resync) await peerSync.start(bound.resync);
    const recovery = await recoverAtOpen(journal, table, activity, volume.identity, clean, bound?.kind === 'bound');
    await resumeQueue(recovery.queued, recovery.startInDelta, queue, journal, table, activity, clock);
    // What the log held before is covered now (marked, or queued again): from here it holds what this run writes.
    await activity.forgetRecovered();
    const parts: DeviceParts = { local, link, journal, queue, activity, table, order, volume, binding, peerSync, roles, clock, metaDir, files, log };
    return {
      parts,
      start(persistNewestWrite) {
        roles.onWatch = persistNewestWrite;
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
            dirtyChunks: opened.dirtyChunks,
            grownFrom: opened.grownFrom,
            state: roles.controller?.currentState ?? 'backup',
          },
          `replication state opened (${volume.role})`,
        );
      },
    };
  } catch (e) {
    await journal.close();
    await activity?.close().catch(() => undefined);
    // A table the caller opened stays the caller's to close.
    if (!options.table) await table?.close();
    throw e;
  }
}
