/**
 * One replicated LUN of `tandem serve`, on either node: the link to its peer (connected at
 * start, or retried while the peer is away), the staged-pass log a backup applies, and the
 * ReplicatedDevice in the role the volume last held (--role for a new one).
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { BlockDevice } from '../block/device.js';
import { IscsiConnectionError, IscsiLoginError, IscsiTimeoutError } from '../initiator/index.js';
import { loadPersistedSettings } from '../replication/control/persisted-settings.js';
import { IscsiReplicaLink } from '../replication/iscsi-replica-link.js';
import { LazyReplicaLink } from '../replication/lazy-replica-link.js';
import { DEFAULT_CHUNK_SIZE, DeltaTable } from '../replication/delta-table.js';
import { PassStagingLog } from '../replication/pass-staging-log.js';
import type { ReplicaLink } from '../replication/replica-link.js';
import { PointFormatError } from '../replication/points/point-error.js';
import { markRestored } from '../replication/points/node-points.js';
import { PointStore } from '../replication/points/point-store.js';
import { PointsGivenUpForSpace } from '../replication/points/out-of-space.js';
import { PreservingDevice } from '../replication/points/preserving-device.js';
import { ReplicatedDevice } from '../replication/replicated-device.js';
import { IDENTITY_FILE, IdentityFileError } from '../replication/volume-record.js';
import type { ReplicationRole } from '../replication/settings.js';
import type { LuIdentity } from '../scsi/logical-unit.js';
import { moduleLogger, type Logger } from '../util/log.js';
import type { LunConfig, ServeSettings } from './serve-config.js';
import { metaDirFor } from './lun-store.js';
import { ReplicaSetupError } from './replica-setup-error.js';
import { checkImageIdentity } from './image-identity.js';

export { ReplicaSetupError } from './replica-setup-error.js';

/** The peer URL without its CHAP secret, for logs and status. */
export function redactedReplica(url: string): string {
  // Keep the user's spelling (IQN colons unescaped); only the secret between ':' and '@' goes.
  return url.replace(/^(iscsi:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/**
 * Whether a failed first connection is the peer being away (connect refused, timeout,
 * the target busy) rather than a wrong setting (authentication, unknown target, no such
 * LUN), which stops a new volume's server with one line instead (a volume with history
 * serves its hosts anyway: see peerLink).
 */
function peerAway(e: unknown): boolean {
  if (e instanceof IscsiConnectionError || e instanceof IscsiTimeoutError) return true;
  return e instanceof IscsiLoginError && e.statusClass === 3;
}

const NO_PEER = 'no --peer is configured for this LUN';
const REFUSED_RETRY_MS = 10_000;

/** This LUN among every volume that may replicate to a peer: this host and the LUN's metadata directory. */
export function localVolumeName(lun: LunConfig): string {
  return `${hostname()}:${resolve(metaDirFor(lun))}`;
}

/**
 * The link to the LUN's peer: connected now, or retried while the peer is away (or never,
 * without a peer). A peer that refuses this node (a wrong CHAP secret, target or LUN) stops
 * the server when the volume is new, the setting most likely mistyped just now; a volume
 * with history serves its hosts anyway, as DRBD's primary does when its peer refuses it:
 * the peer's settings changing must not take the primary's LUN from them.
 */
async function peerLink(store: BlockDevice, lun: LunConfig, settings: ServeSettings, log: Logger, holdsHistory: boolean, where: LunPlace): Promise<ReplicaLink> {
  const noPeer = () => new LazyReplicaLink({ connect: () => Promise.reject(new Error(NO_PEER)), size: store.size, blockSize: lun.blockSize, firstError: NO_PEER });
  if (lun.replica === undefined) return noPeer();
  const shown = redactedReplica(lun.replica);
  const operationTimeoutMs = settings.replication?.linkTimeoutMs;
  const connect = () =>
    IscsiReplicaLink.connect({
      url: lun.replica!,
      initiatorName: settings.replicatorIqn,
      localVolume: localVolumeName(lun),
      logger: moduleLogger('replica-link').child(where),
      ...(operationTimeoutMs !== undefined ? { operationTimeoutMs } : {}),
    });
  try {
    return await connect();
  } catch (e) {
    const away = peerAway(e);
    if (!away && !holdsHistory) throw new ReplicaSetupError(`LUN ${lun.path}: cannot use the peer ${shown}: ${(e as Error).message}`, { cause: e });
    if (away) log.warn({ event: 'replica-unreachable', lun: lun.path, replica: shown, error: (e as Error).message }, 'peer unreachable at start: serving, retrying');
    else log.error({ event: 'replica-misconfigured', lun: lun.path, replica: shown, error: (e as Error).message }, 'the peer refuses this node (check --peer: CHAP user and secret, target, LUN): serving hosts, retrying');
    // A refusing peer logs each failed login: tried every 10 s (DRBD's connect-int), not every 2.
    return new LazyReplicaLink({
      connect,
      size: store.size,
      blockSize: lun.blockSize,
      firstError: (e as Error).message,
      refused: (error) => !peerAway(error),
      firstRefused: !away,
      ...(away ? {} : { retryMs: REFUSED_RETRY_MS }),
    });
  }
}

/** Which LUN of which target a replicated LUN is: every log line of its engine carries it. */
export interface LunPlace {
  target: string;
  lun: number;
}

export interface OpenedReplicatedLun {
  device: ReplicatedDevice;
  staging: PassStagingLog;
  /** The LUN's recovery points (closed after the device). */
  points: PointStore;
  /** pointInterval as `tandem config set` persisted it, if it did. */
  pointInterval?: number;
}

/** Opens what a replicated LUN needs; closes what it opened if a step fails (the store stays the caller's). */
export async function openReplicatedLun(
  store: BlockDevice,
  lun: LunConfig,
  metaDir: string,
  role: ReplicationRole,
  settings: ServeSettings,
  ownIdentity: LuIdentity,
  log: Logger,
  where: LunPlace,
): Promise<OpenedReplicatedLun> {
  // Before anything trusts the state beside it: the image must be the file that state describes.
  await checkImageIdentity(lun, metaDir);
  // The change map before the points: a restore a crash cut short is marked in it before the points commit it
  // (marked later, a crash or a failed start in between left its ranges marked nowhere). The device takes it over.
  const tuning = settings.replication;
  const table = await DeltaTable.open({ dir: metaDir, volumeSize: store.size, chunkSize: tuning?.chunkSize ?? DEFAULT_CHUNK_SIZE, flushImage: () => store.flush() }).catch((e: unknown) => {
    throw new ReplicaSetupError(`LUN ${lun.path}: replication: ${(e as Error).message}`, { cause: e });
  });
  // Points next: a restore a crash cut short is finished before anything reads the image.
  const points = await PointStore.open({ dir: metaDir, image: store, logger: log.child(where), beforeCommit: (changed) => markRestored(table, changed) }).catch(async (e: unknown) => {
    await table.close().catch(() => undefined);
    // Points that do not fit the image (it shrank, a file damaged): the operator's to settle, in one line.
    throw e instanceof PointFormatError ? new ReplicaSetupError(`LUN ${lun.path}: its recovery points cannot be used: ${e.message}`, { cause: e }) : e;
  });
  // Exposed points are kept when the disk is full; the device says which once it is open.
  let exposed: () => ReadonlySet<number> = () => new Set();
  // Whatever changes the image from here (the write path, a staged pass's commit) preserves for the newest point.
  const image = new PreservingDevice(store, new PointsGivenUpForSpace(points, () => exposed()));
  let staging: PassStagingLog | undefined;
  let link: ReplicaLink | undefined;
  let device: ReplicatedDevice | undefined;
  try {
    // A pass a crash cut short is dropped, a committed one applied, before anything serves the image.
    staging = await PassStagingLog.open({ dir: metaDir, device: image, logger: moduleLogger('pass-staging').child(where) });
    link = await peerLink(store, lun, settings, log, existsSync(join(metaDir, IDENTITY_FILE)), where);
    // Values set with `tandem config set` or `tandem mode set` (persisted beside the LUN) override the config file and flags.
    const persisted = await loadPersistedSettings(metaDir);
    const deltaIntervalMs = persisted.deltaIntervalMs ?? tuning?.deltaIntervalMs;
    const afterSplitBrain = persisted.afterSplitBrain ?? tuning?.afterSplitBrain;
    const retention = persisted.retention ?? tuning?.retention;
    device = await ReplicatedDevice.open({
      local: image,
      link,
      table,
      blockSize: lun.blockSize,
      metaDir,
      role,
      device: ownIdentity,
      // A node of several LUNs: every line says which one it is about.
      logger: moduleLogger('replication').child(where),
      mode: persisted.mode ?? lun.replicationMode ?? 'auto',
      flavour: persisted.flavour ?? (lun.sync ? 'sync' : 'async'),
      startOver: settings.startOver ?? false,
      thresholds: { ...tuning?.thresholds, ...persisted.thresholds },
      ...(deltaIntervalMs !== undefined ? { deltaIntervalMs } : {}),
      ...(afterSplitBrain !== undefined ? { afterSplitBrain } : {}),
      ...(tuning?.journalCapacity !== undefined ? { journalCapacity: tuning.journalCapacity } : {}),
      ...(tuning?.queueMemory !== undefined ? { queueMemory: tuning.queueMemory } : {}),
      ...(tuning?.activityExtentSize !== undefined ? { activityExtentSize: tuning.activityExtentSize } : {}),
      ...(tuning?.activityExtents !== undefined ? { activityExtents: tuning.activityExtents } : {}),
    });
    device.attachStaging(staging);
    const opened = device;
    opened.points.attach(points, retention);
    exposed = () => opened.points.exposedIds();
    // Its ranges were marked when the points opened; the primary's session must learn the image changed.
    if (points.recovered) opened.points.restoredAtOpen();
    return { device, staging, points, ...(persisted.pointInterval !== undefined ? { pointInterval: persisted.pointInterval } : {}) };
  } catch (e) {
    await link?.close().catch(() => undefined);
    await staging?.close().catch(() => undefined);
    if (!device) await table.close().catch(() => undefined);
    await points.close().catch(() => undefined);
    if (e instanceof ReplicaSetupError) throw e;
    const shown = lun.replica !== undefined ? `replica ${redactedReplica(lun.replica)}` : 'replication';
    // The node's own record of its history is unreadable: what it holds is unknown, so the way out is the operator's.
    const remedy = e instanceof IdentityFileError ? `; restore it, or remove ${metaDir} to start this image with no history (as a backup it then gets a full copy from its peer)` : '';
    throw new ReplicaSetupError(`LUN ${lun.path}: ${shown}: ${(e as Error).message}${remedy}`, { cause: e });
  }
}
