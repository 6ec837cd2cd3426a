/**
 * What this node answers its peer (VPD C1h, C6h READ CHANGE MAP, C7h REPLICATION CONTROL):
 * its replication state, its change map, and — as a backup — the resync and switchover
 * actions its primary sends. The SCSI layer calls it through ReplicationEndpoint.
 */
import {
  ReplicationSequenceError,
  type AdoptParameters,
  type ChangeMapSlice,
  type PointMarker,
  type AccessStateCode,
  type PortGroupsReport,
  type ReplicationEndpoint,
  type ReplicationStateReport,
  type SharedPrState,
} from '../replica-protocol/index.js';
import type { Logger } from '../util/log.js';
import type { DeltaTable } from './delta-table.js';
import { adopt, formatGeneration } from './generations.js';
import type { PeerSync } from './peer-sync.js';
import type { BackupPoints } from './points/backup-points.js';
import type { PrStateShipper } from './pr-state-shipper.js';
import type { ReplicaBinding } from './replica-binding.js';
import { RoleChangeError, type RoleManager } from './role-manager.js';
import type { VolumeState } from './volume-state.js';

export interface PeerEndpointParts {
  volume: VolumeState;
  table: DeltaTable;
  roles: RoleManager;
  binding: ReplicaBinding;
  peerSync: PeerSync;
  log: Logger;
  /** When this backup last applied a write from its primary (ms since the epoch). */
  newestWriteAt(): number | undefined;
  /** ALUA: this node's port group and the peer's, now. */
  portGroups(): PortGroupsReport;
  localAccessState(): AccessStateCode;
  prState: PrStateShipper;
  /** The recovery points this node takes as a backup (none: it keeps no points). */
  points: BackupPoints | undefined;
}

export class PeerEndpoint implements ReplicationEndpoint {
  constructor(private readonly parts: PeerEndpointParts) {}

  state(): ReplicationStateReport {
    const { volume, table, roles, binding, peerSync } = this.parts;
    const g = volume.generations;
    const id = volume.identity;
    return {
      role: roles.role,
      stale: binding.stale,
      splitBrain: binding.state.state === 'split-brain',
      resyncing: volume.resyncFrom !== undefined,
      volumeId: id.volumeId,
      startOver: id.generation,
      chunkSize: table.chunkSize,
      current: g.current,
      bitmap: g.bitmap,
      since: g.since,
      history: [...g.history],
      // A node that decided to give way reports the figure it decided on (split-brain-arbiter.ts).
      changedBytes: roles.splitBrain.reported(g.current, table.dirtyBytes),
      resyncBytesLeft: peerSync.status()?.bytesLeft ?? 0,
      newestWriteAt: this.parts.newestWriteAt() ?? 0,
      device: volume.device,
      alua: { portGroup: volume.portGroup, relativePort: volume.portGroup, state: this.parts.localAccessState() },
      prSequence: this.parts.prState.sequence,
    };
  }

  portGroups(): PortGroupsReport {
    return this.parts.portGroups();
  }

  localAccessState(): AccessStateCode {
    return this.parts.localAccessState();
  }

  publishPrState(state: Omit<SharedPrState, 'sequence'>): Promise<void> {
    return this.parts.prState.publish(state);
  }

  offerPrState(state: SharedPrState): boolean {
    return this.parts.prState.offer(state);
  }

  get newestPoint(): { id: number; at: number } | undefined {
    return this.parts.points?.newest;
  }

  /** The highest point id this node's store ever took (0: none, or no store). */
  get lastPointTaken(): number {
    return this.parts.points?.lastTaken ?? 0;
  }

  get points(): BackupPoints | undefined {
    return this.parts.points;
  }

  attachPoints(points: BackupPoints): void {
    this.parts.points = points;
  }

  takePoint(point: PointMarker): Promise<void> {
    const points = this.parts.points;
    if (!points) return Promise.reject(new ReplicationSequenceError('this node keeps no recovery points'));
    return points.take(point);
  }

  changeMap(startByte: number, maxBytes: number): ChangeMapSlice {
    const { table, volume } = this.parts;
    return { base: volume.generations.bitmap, chunkSize: table.chunkSize, chunkCount: table.chunkCount, totalBytes: table.bitmapLength, bits: table.bitmapBytes(startByte, maxBytes) };
  }

  beginResync(sourceCurrent: bigint): Promise<void> {
    return this.asBackup('BEGIN RESYNC', async () => {
      await this.parts.volume.update(() => ({ resyncFrom: sourceCurrent }));
      this.parts.log.info({ event: 'resync-start', as: 'target', source: formatGeneration(sourceCurrent) }, 'being resynchronised from the peer');
    });
  }

  adopt(p: AdoptParameters): Promise<{ identityChanged: boolean }> {
    return this.asBackup('ADOPT', () => this.adoptNow(p));
  }

  private async adoptNow(p: AdoptParameters): Promise<{ identityChanged: boolean }> {
    const { volume, table, log } = this.parts;
    const identityChanged = !volume.device || !volume.device.naa.equals(p.device.naa) || volume.device.serial !== p.device.serial;
    // The image is the source's now: its own earlier changes are overwritten, so forgotten.
    await table.clearAll();
    await volume.update(() => ({
      volumeId: p.volumeId,
      generation: p.startOver,
      replicaSynced: true,
      generations: adopt({ current: p.current, bitmap: p.current, history: p.history, since: p.since }),
      device: p.device,
      resyncFrom: undefined,
    }));
    log.info({ event: 'generation-change', reason: 'adopted', current: formatGeneration(p.current), identityChanged }, 'holds the primary\'s history');
    return { identityChanged };
  }

  async promoteBySwitchover(sourceCurrent: bigint): Promise<void> {
    try {
      await this.parts.roles.promoteBySwitchover(sourceCurrent);
    } catch (e) {
      if (e instanceof RoleChangeError) throw new ReplicationSequenceError(e.message);
      throw e;
    }
  }

  /**
   * A primary's resync action, apart from a promotion's generation change: admitted while a
   * backup, it ran on across a forced promotion and overwrote the new generation (and cleared
   * the map of the promoted node's host writes). A promotion meanwhile waits for it. Not in
   * the role changes' queue: a switchover waits there for the peer, whose binding sends this.
   */
  private asBackup<T>(action: string, work: () => Promise<T>): Promise<T> {
    return this.parts.roles.generationChanges.run(async () => {
      if (this.parts.roles.role !== 'backup') throw new ReplicationSequenceError(`${action}: this node is the primary`);
      return work();
    });
  }
}
