/** `tandem serve`: opens the LUNs, builds the SCSI targets, and starts the portals. */
import type { BlockDevice } from '../block/device.js';
import type { PassStagingLog } from '../replication/pass-staging-log.js';
import { ConsistencyGroup, type GroupMember } from '../replication/points/consistency-group.js';
import { commandPointHook } from '../replication/points/point-hook.js';
import { ServedPointExposure, type ExposableLun } from './point-exposure.js';
import { ExposureRecordError } from './exposure-record.js';
import type { PointStore } from '../replication/points/point-store.js';
import { createControlHandler, serverStatus, type ControlLun, type LunVerifier } from '../replication/control/handler.js';
import { startMetricsEndpoint, type MetricsEndpoint } from '../replication/control/metrics-endpoint.js';
import { startControlServer, type ControlServer } from '../replication/control/server.js';
import { summarizeSession } from '../target/session-summary.js';
import type { Nexus } from '../scsi/types.js';
import { LogicalUnit, deriveIdentity } from '../scsi/logical-unit.js';
import { ScsiTarget } from '../scsi/scsi-target.js';
import { IscsiServer } from '../target/server.js';
import { moduleLogger } from '../util/log.js';
import type { LunConfig, ServeSettings } from './serve-config.js';
import { openTargetsOnNetwork } from './serve-options.js';
import { ReplicaSetupError, openReplicatedLun, redactedReplica, type OpenedReplicatedLun } from './replicated-lun.js';
import { createdByOpen, metaDirFor, openLunStore, removeCreated, type CreatedByOpen } from './lun-store.js';
import { refuseMissingImage } from './image-identity.js';
import { EncryptedDevice } from '../block/encrypted-device.js';

export { ReplicaSetupError, redactedReplica } from './replicated-lun.js';
export { PrStateFileError } from '../scsi/reservations/persistence.js';
import { runVerify } from '../verify/run.js';
import { isReplicatorName, replicatorMatcher } from './replicator-match.js';
import { hostAndPort } from '../util/host-port.js';

const log = moduleLogger('serve');

/** Scheduled recovery points when neither the config nor `tandem config set` says otherwise. */
export const DEFAULT_POINT_INTERVAL_MS = 15 * 60 * 1000;

export interface RunningServer {
  addresses: string[];
  /** The control socket's path: a server with a replication role has one, a plain one when given --control. */
  controlPath?: string;
  /** host:port of the Prometheus endpoint (--metrics). */
  metricsAddress?: string;
  close(): Promise<void>;
}

export async function startServer(settings: ServeSettings): Promise<RunningServer> {
  const scsiTargets: ScsiTarget[] = [];
  const stores: BlockDevice[] = [];
  const stagingLogs: PassStagingLog[] = [];
  const pointStores: PointStore[] = [];
  /** Each target's replicated LUNs: one consistency group, by IQN in lower case. */
  const groups = new Map<string, ConsistencyGroup>();
  const pointHook = settings.pointHook !== undefined ? commandPointHook(settings.pointHook, settings.pointHookTimeoutMs) : undefined;
  /** Where each replicated LUN is served, for `tandem point expose`. */
  const exposable = new Map<string, ExposableLun>();
  const exposure = new ServedPointExposure((l) => exposable.get(`${l.target.toLowerCase()}/${l.lun}`), moduleLogger('points'));
  const controlLuns: ControlLun[] = [];
  /** Replica URLs with their secrets, for verify; never shown. */
  const replicaUrls = new Map<ControlLun, string>();
  /** RBD LUNs by their control entry: verify opens a second, read-only handle on the image. */
  const rbdSources = new Map<ControlLun, LunConfig>();
  let control: ControlServer | undefined;
  let metrics: MetricsEndpoint | undefined;
  /** What this start created for its LUNs (images, metadata directories): taken away again if it fails. */
  const createdHere: Array<{ lunConfig: LunConfig; metaDir: string; created: CreatedByOpen }> = [];
  const fromReplicator = replicatorMatcher(settings.replicatorIqn);
  try {
    const targets = [];
    for (const config of settings.targets) {
      const units: LogicalUnit[] = [];
      const members: GroupMember[] = [];
      let pointInterval = settings.replication?.pointInterval ?? DEFAULT_POINT_INTERVAL_MS;
      for (const [lun, lunConfig] of config.luns.entries()) {
        const metaDir = metaDirFor(lunConfig);
        // Opening creates a missing image: not where replication state says one was.
        await refuseMissingImage(lunConfig, metaDir);
        const created = createdByOpen(lunConfig, metaDir);
        // Before opening: an open that fails part way (its metadata directory) may have made the image.
        createdHere.push({ lunConfig, metaDir, created });
        const store = await openLunStore(lunConfig, metaDir, log);
        // Every LUN of a backup, and each LUN of a primary with a peer, is one node of a replicated pair.
        const replicatedRole = settings.role === 'backup' || (settings.role === 'primary' && lunConfig.replica !== undefined) ? settings.role : undefined;
        let device: BlockDevice = store;
        let replicated: OpenedReplicatedLun | undefined;
        const ownIdentity = deriveIdentity(config.iqn, lun, store.path);
        if (replicatedRole) {
          try {
            replicated = await openReplicatedLun(store, lunConfig, metaDir, replicatedRole, settings, ownIdentity, log, { target: config.iqn, lun });
          } catch (e) {
            // Not in `stores` yet: closed here, and what it created is removed below.
            await store.close().catch(() => undefined);
            throw e;
          }
          device = replicated.device;
          stagingLogs.push(replicated.staging);
          pointStores.push(replicated.points);
          members.push({ lun, volume: replicated.device });
          // `tandem config set pointInterval` (persisted beside a LUN) wins over the config file.
          pointInterval = replicated.pointInterval ?? pointInterval;
          const controlLun: ControlLun = {
            target: config.iqn,
            lun,
            path: lunConfig.path,
            ...(lunConfig.replica !== undefined ? { replica: redactedReplica(lunConfig.replica) } : {}),
            device: replicated.device,
            metaDir,
          };
          if (lunConfig.replica !== undefined) replicaUrls.set(controlLun, lunConfig.replica);
          if (lunConfig.rbd) rbdSources.set(controlLun, lunConfig);
          controlLuns.push(controlLun);
        } else {
          controlLuns.push({ target: config.iqn, lun, path: lunConfig.path });
        }
        stores.push(device);
        const pair = replicated?.device;
        const unit = await LogicalUnit.create({
          lun,
          targetName: config.iqn,
          device,
          blockSize: lunConfig.blockSize,
          metaDir,
          removable: lunConfig.removable ?? false,
          physicalBlockSize: lunConfig.physicalBlockSize,
          sanitizeBytesPerSecond: lunConfig.sanitizeBytesPerSecond,
          ...(store instanceof EncryptedDevice ? { mediaKey: store.mediaKey } : {}),
          ...(pair
            ? {
                // A primary takes host writes (unless stale), a backup only its primary's (the replicator).
                writeAllowed: (nexus: Nexus) => pair.acceptsWrites(fromReplicator(nexus)),
                // ALUA states and the hosts' reservations do not apply to the peer's session.
                replicator: fromReplicator,
                passStaging: replicated!.staging,
                replication: pair.endpoint,
                identity: () => pair.deviceIdentity,
              }
            : {}),
        });
        // Hosts learn of every ALUA access state change (a role change began or ended) by a unit attention.
        pair?.onChange((change) => {
          if (change === 'access') unit.accessStateChanged();
          if (change === 'restored') unit.mediumChangedForReplicator();
          if (change === 'pass') groups.get(config.iqn.toLowerCase())?.passCommitted();
        });
        units.push(unit);
      }
      if (members.length > 0) {
        const group = new ConsistencyGroup(members, { target: config.iqn, clock: Date.now, log: moduleLogger('points'), ...(pointHook ? { hook: pointHook } : {}) });
        // Every node schedules: the timer only makes points while this node is the primary.
        group.schedule(pointInterval);
        groups.set(config.iqn.toLowerCase(), group);
      }
      const scsi = new ScsiTarget(config.iqn, units);
      for (const m of members) {
        const lunConfig = config.luns[m.lun]!;
        exposable.set(`${config.iqn.toLowerCase()}/${m.lun}`, { scsi, blockSize: lunConfig.blockSize, metaDir: metaDirFor(lunConfig) });
      }
      scsiTargets.push(scsi);
      targets.push({ config, scsi });
    }
    // Points exposed before a restart are served again (and pinned) before any host or POINT can arrive.
    for (const l of controlLuns) {
      if (!l.device) continue;
      await exposure.restore({ target: l.target, lun: l.lun, device: l.device }).catch((e: unknown) => {
        throw e instanceof ExposureRecordError ? new ReplicaSetupError(e.message, { cause: e }) : e;
      });
    }
    for (const iqn of openTargetsOnNetwork(settings)) {
      log.warn({ target: iqn }, 'target listens on a non-loopback address with neither CHAP nor an initiator ACL');
    }
    const server = new IscsiServer({
      targets,
      portals: settings.portals,
      advertiseAddress: settings.advertise,
      ...(settings.maxConnections !== undefined ? { maxConnections: settings.maxConnections } : {}),
      ...(settings.bufferMemory !== undefined ? { bufferMemoryBytes: settings.bufferMemory } : {}),
      // Hosts filling a backup's connection slots must not keep the primary's replication out.
      ...(settings.replicatorIqn ? { exemptFromConnectionLimit: isReplicatorName(settings.replicatorIqn) } : {}),
    });
    // A plain target too when asked (--control): its status and sessions.
    if (settings.control) {
      // The pair's own session (a backup's primary, a primary's peer) is told apart from the hosts'.
      const replicator = settings.role && settings.replicatorIqn ? isReplicatorName(settings.replicatorIqn) : undefined;
      // The primary's own image is the verify source: read through a second, read-only handle.
      const verify: LunVerifier = (l, o) => {
        const rbd = rbdSources.get(l);
        const pair = l.device?.verifyHooks();
        return runVerify({
          source: l.path,
          ...(rbd ? { openSource: () => openLunStore({ ...rbd, readOnly: true, size: undefined }, metaDirFor(rbd)) } : {}),
          replica: replicaUrls.get(l)!,
          ...(o.chunk !== undefined ? { chunk: o.chunk } : {}),
          ...(o.depth !== undefined ? { depth: o.depth } : {}),
          onProgress: (p) => o.onProgress(p.bytesDone, p.bytesTotal),
          // The pair runs on: what the scan finds is checked again once the backup caught up;
          // the backup's holes come through the replication link (its standby port refuses GET LBA STATUS to others).
          ...(pair ? { live: pair, replicaAllocation: pair.replicaAllocation } : {}),
        });
      };
      const handler = createControlHandler({
        role: settings.role,
        replicatorIqn: settings.replicatorIqn ?? '',
        luns: controlLuns,
        groups,
        exposure,
        logger: moduleLogger('control'),
        // Whichever role a LUN holds now decides (a promoted backup verifies its peer too).
        verify,
        sessions: () => server.sessions.all().map((s) => ({ ...summarizeSession(s), ...(replicator?.(s.initiatorName) ? { replicator: true } : {}) })),
      });
      control = await startControlServer(settings.control, handler);
    }
    if (settings.metrics) {
      const statusContext = { role: settings.role, replicatorIqn: settings.replicatorIqn ?? '', luns: controlLuns };
      metrics = await startMetricsEndpoint(settings.metrics.host, settings.metrics.port, () => ({
        status: serverStatus(statusContext),
        sessions: settings.targets.map((t) => ({ target: t.iqn, sessions: server.sessions.forTarget(t.iqn).length })),
        io: scsiTargets.flatMap((t) => t.allUnits().map((u) => ({ target: t.name, lun: u.lun, ...u.io }))),
        transport: server.resourceUse(),
      }));
    }
    const bound = await server.listen().catch(async (e: unknown) => {
      await control?.close();
      await metrics?.close();
      throw e;
    });
    const addresses = bound.map((a) => hostAndPort(a.address, a.port));
    log.info(
      {
        addresses,
        role: settings.role,
        control: control?.path,
        metrics: metrics?.address,
        targets: settings.targets.map((t) => ({ iqn: t.iqn, luns: t.luns.map((l) => (l.replica ? { path: l.path, replica: redactedReplica(l.replica) } : l.path)) })),
      },
      'serving',
    );
    let closing: Promise<void> | undefined;
    const closeAll = async (): Promise<void> => {
      for (const g of groups.values()) g.close();
      await control?.close();
      await metrics?.close();
      await server.close();
      // A commit in progress finishes before the image it applies to closes.
      await Promise.all(stagingLogs.map((l) => l.close()));
      // ScsiTarget.close flushes and closes its LUs' devices.
      await Promise.all(scsiTargets.map((t) => t.close()));
      exposure.releaseAll();
      await Promise.all(pointStores.map((p) => p.close()));
      log.info('stopped');
    };
    return {
      addresses,
      ...(control ? { controlPath: control.path } : {}),
      ...(metrics ? { metricsAddress: metrics.address } : {}),
      // Once: a second close (a second signal, a test's cleanup) waits for the first, not a second flush of closed stores.
      close: () => (closing ??= closeAll()),
    };
  } catch (e) {
    for (const g of groups.values()) g.close();
    await control?.close().catch(() => undefined);
    await metrics?.close().catch(() => undefined);
    await Promise.allSettled(scsiTargets.map((t) => t.close()));
    await Promise.allSettled(stores.map((s) => s.close()));
    await Promise.allSettled(stagingLogs.map((l) => l.close()));
    await Promise.allSettled(pointStores.map((p) => p.close()));
    // Nothing has served them: a failed start (a control path taken, a port in use) leaves no
    // new image behind. Last LUN first, so a directory made for several is empty when its turn comes.
    for (const c of createdHere.reverse()) await removeCreated(c.lunConfig, c.metaDir, c.created).catch(() => undefined);
    throw e;
  }
}
