/** `tandem serve`: opens the LUNs, builds the SCSI targets, and starts the portals. */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BlockDevice } from '../block/device.js';
import { FileBlockStore } from '../block/file-store.js';
import { IscsiReplicaLink } from '../replication/iscsi-replica-link.js';
import { ReplicatedDevice } from '../replication/replicated-device.js';
import { PassStagingLog } from '../replication/pass-staging-log.js';
import { LazyReplicaLink } from '../replication/lazy-replica-link.js';
import type { ReplicaLink } from '../replication/replica-link.js';
import { IscsiConnectionError, IscsiLoginError, IscsiTimeoutError } from '../initiator/index.js';
import { createControlHandler, serverStatus, type ControlLun, type LunVerifier } from '../replication/control/handler.js';
import { startMetricsEndpoint, type MetricsEndpoint } from '../replication/control/metrics-endpoint.js';
import { loadPersistedSettings } from '../replication/control/persisted-settings.js';
import { startControlServer, type ControlServer } from '../replication/control/server.js';
import type { Nexus } from '../scsi/types.js';
import { LogicalUnit } from '../scsi/logical-unit.js';
import { ScsiTarget } from '../scsi/scsi-target.js';
import { IscsiServer } from '../target/server.js';
import { moduleLogger } from '../util/log.js';
import type { LunConfig, ServeSettings } from './serve-config.js';
import { openTargetsOnNetwork } from './serve-options.js';
import { runVerify } from '../verify/run.js';

const log = moduleLogger('serve');

/** Per-LUN metadata (PR state, saved mode pages, later replication state) lives beside the image. */
export function metaDirFor(lun: LunConfig): string {
  return join(dirname(lun.path), `${basename(lun.path)}.tandem`);
}

export interface RunningServer {
  addresses: string[];
  /** The control socket's path, when the server has a replication role. */
  controlPath?: string;
  /** host:port of the Prometheus endpoint (--metrics). */
  metricsAddress?: string;
  close(): Promise<void>;
}

/** A replica could not be set up at start (unreachable, wrong volume, wrong size): one line, exit 1. */
export class ReplicaSetupError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'ReplicaSetupError';
  }
}

/** The replica URL without its CHAP secret, for logs and status. */
export function redactedReplica(url: string): string {
  // Keep the user's spelling (IQN colons unescaped); only the secret between ':' and '@' goes.
  return url.replace(/^(iscsi:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/**
 * Whether a failed first connection is the backup being away (connect refused, timeout,
 * the target busy) rather than a wrong setting (authentication, unknown target, no such
 * LUN), which should stop the server with one line instead.
 */
function backupAway(e: unknown): boolean {
  if (e instanceof IscsiConnectionError || e instanceof IscsiTimeoutError) return true;
  return e instanceof IscsiLoginError && e.statusClass === 3;
}

/** FileBlockStore → IscsiReplicaLink (or a lazy one while the backup is away) → ReplicatedDevice. Closes what it opened if any step fails. */
async function openReplicated(store: FileBlockStore, lunConfig: LunConfig, metaDir: string, settings: ServeSettings): Promise<ReplicatedDevice> {
  const shown = redactedReplica(lunConfig.replica!);
  const operationTimeoutMs = settings.replication?.linkTimeoutMs;
  const connect = () =>
    IscsiReplicaLink.connect({
      url: lunConfig.replica!,
      initiatorName: settings.replicatorIqn,
      ...(operationTimeoutMs !== undefined ? { operationTimeoutMs } : {}),
    });
  let link: ReplicaLink;
  try {
    link = await connect();
  } catch (e) {
    if (!backupAway(e)) throw new ReplicaSetupError(`LUN ${lunConfig.path}: cannot use the replica ${shown}: ${(e as Error).message}`, { cause: e });
    log.warn({ event: 'replica-unreachable', lun: lunConfig.path, replica: shown, error: (e as Error).message }, 'replica unreachable at start: serving, tracking writes, retrying');
    link = new LazyReplicaLink({ connect, size: store.size, blockSize: lunConfig.blockSize, firstError: (e as Error).message });
  }
  try {
    // Values set with `tandem config set` (persisted beside the LUN) override the config file.
    const tuning = settings.replication;
    const persisted = await loadPersistedSettings(metaDir);
    const deltaIntervalMs = persisted.deltaIntervalMs ?? tuning?.deltaIntervalMs;
    return await ReplicatedDevice.open({
      local: store,
      link,
      metaDir,
      mode: lunConfig.replicationMode ?? 'auto',
      flavour: lunConfig.sync ? 'sync' : 'async',
      startOver: settings.startOver ?? false,
      thresholds: { ...tuning?.thresholds, ...persisted.thresholds },
      ...(deltaIntervalMs !== undefined ? { deltaIntervalMs } : {}),
      ...(tuning?.chunkSize !== undefined ? { chunkSize: tuning.chunkSize } : {}),
      ...(tuning?.journalCapacity !== undefined ? { journalCapacity: tuning.journalCapacity } : {}),
    });
  } catch (e) {
    await link.close().catch(() => undefined);
    throw new ReplicaSetupError(`LUN ${lunConfig.path}: replica ${shown}: ${(e as Error).message}`, { cause: e });
  }
}

export async function startServer(settings: ServeSettings): Promise<RunningServer> {
  const scsiTargets: ScsiTarget[] = [];
  const stores: BlockDevice[] = [];
  const stagingLogs: PassStagingLog[] = [];
  const controlLuns: ControlLun[] = [];
  /** Replica URLs with their secrets, for verify; never shown. */
  const replicaUrls = new Map<ControlLun, string>();
  let control: ControlServer | undefined;
  let metrics: MetricsEndpoint | undefined;
  // Backup role: ordinary initiators read, only the replicator writes.
  const replicatorIqn = settings.replicatorIqn?.toLowerCase();
  const writeAllowed = settings.role === 'backup' ? (nexus: Nexus) => nexus.initiatorName.toLowerCase() === replicatorIqn : undefined;
  try {
    const targets = [];
    for (const config of settings.targets) {
      const units: LogicalUnit[] = [];
      for (const [lun, lunConfig] of config.luns.entries()) {
        await mkdir(dirname(lunConfig.path), { recursive: true });
        const store = await FileBlockStore.open({ path: lunConfig.path, size: lunConfig.size, readOnly: lunConfig.readOnly });
        const metaDir = metaDirFor(lunConfig);
        await mkdir(metaDir, { recursive: true });
        let device: BlockDevice = store;
        // A backup stages delta passes beside the LUN; a pass cut short by a crash is dropped here, before serving.
        let passStaging: PassStagingLog | undefined;
        if (settings.role === 'backup') {
          try {
            passStaging = await PassStagingLog.open({ dir: metaDir, device: store });
          } catch (e) {
            await store.close().catch(() => undefined);
            throw e;
          }
          stagingLogs.push(passStaging);
        }
        if (settings.role === 'primary' && lunConfig.replica !== undefined) {
          try {
            device = await openReplicated(store, lunConfig, metaDir, settings);
          } catch (e) {
            await store.close().catch(() => undefined);
            throw e;
          }
          const controlLun: ControlLun = { target: config.iqn, lun, path: lunConfig.path, replica: redactedReplica(lunConfig.replica), device: device as ReplicatedDevice, metaDir };
          replicaUrls.set(controlLun, lunConfig.replica);
          controlLuns.push(controlLun);
        } else {
          controlLuns.push({ target: config.iqn, lun, path: lunConfig.path });
        }
        stores.push(device);
        units.push(
          await LogicalUnit.create({
            lun,
            targetName: config.iqn,
            device,
            blockSize: lunConfig.blockSize,
            metaDir,
            removable: lunConfig.removable ?? false,
            ...(writeAllowed ? { writeAllowed } : {}),
            ...(passStaging ? { passStaging } : {}),
          }),
        );
      }
      const scsi = new ScsiTarget(config.iqn, units);
      scsiTargets.push(scsi);
      targets.push({ config, scsi });
    }
    for (const iqn of openTargetsOnNetwork(settings)) {
      log.warn({ target: iqn }, 'target listens on a non-loopback address with neither CHAP nor an initiator ACL');
    }
    const server = new IscsiServer({ targets, portals: settings.portals, advertiseAddress: settings.advertise });
    if (settings.role && settings.control) {
      // The primary's own image is the verify source: read through a second, read-only handle.
      const verify: LunVerifier = (l, o) =>
        runVerify({
          source: l.path,
          replica: replicaUrls.get(l)!,
          ...(o.chunk !== undefined ? { chunk: o.chunk } : {}),
          ...(o.depth !== undefined ? { depth: o.depth } : {}),
          onProgress: (p) => o.onProgress(p.bytesDone, p.bytesTotal),
        });
      const handler = createControlHandler({
        role: settings.role,
        replicatorIqn: settings.replicatorIqn ?? '',
        luns: controlLuns,
        logger: moduleLogger('control'),
        ...(settings.role === 'primary' ? { verify } : {}),
      });
      control = await startControlServer(settings.control, handler);
    }
    if (settings.metrics) {
      const statusContext = { role: settings.role, replicatorIqn: settings.replicatorIqn ?? '', luns: controlLuns };
      metrics = await startMetricsEndpoint(settings.metrics.host, settings.metrics.port, () => ({
        status: serverStatus(statusContext),
        sessions: settings.targets.map((t) => ({ target: t.iqn, sessions: server.sessions.forTarget(t.iqn).length })),
      }));
    }
    const bound = await server.listen().catch(async (e: unknown) => {
      await control?.close();
      await metrics?.close();
      throw e;
    });
    const addresses = bound.map((a) => (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`));
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
    return {
      addresses,
      ...(control ? { controlPath: control.path } : {}),
      ...(metrics ? { metricsAddress: metrics.address } : {}),
      async close() {
        await control?.close();
        await metrics?.close();
        await server.close();
        // A commit in progress finishes before the image it applies to closes.
        await Promise.all(stagingLogs.map((l) => l.close()));
        // ScsiTarget.close flushes and closes its LUs' devices.
        await Promise.all(scsiTargets.map((t) => t.close()));
        log.info('stopped');
      },
    };
  } catch (e) {
    await control?.close().catch(() => undefined);
    await metrics?.close().catch(() => undefined);
    await Promise.allSettled(scsiTargets.map((t) => t.close()));
    await Promise.allSettled(stores.map((s) => s.close()));
    await Promise.allSettled(stagingLogs.map((l) => l.close()));
    throw e;
  }
}
