/** `tandem serve`: opens the LUNs, builds the SCSI targets, and starts the portals. */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BlockDevice } from '../block/device.js';
import { FileBlockStore } from '../block/file-store.js';
import { IscsiReplicaLink } from '../replication/iscsi-replica-link.js';
import { ReplicatedDevice } from '../replication/replicated-device.js';
import { createControlHandler, type ControlLun } from '../replication/control/handler.js';
import { startControlServer, type ControlServer } from '../replication/control/server.js';
import type { Nexus } from '../scsi/types.js';
import { LogicalUnit } from '../scsi/logical-unit.js';
import { ScsiTarget } from '../scsi/scsi-target.js';
import { IscsiServer } from '../target/server.js';
import type { LunConfig } from '../target/config.js';
import { moduleLogger } from '../util/log.js';
import { openTargetsOnNetwork, type ServeSettings } from './serve-options.js';

const log = moduleLogger('serve');

/** Per-LUN metadata (PR state, saved mode pages, later replication state) lives beside the image. */
export function metaDirFor(lun: LunConfig): string {
  return join(dirname(lun.path), `${basename(lun.path)}.tandem`);
}

export interface RunningServer {
  addresses: string[];
  /** The control socket's path, when the server has a replication role. */
  controlPath?: string;
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

/** FileBlockStore → IscsiReplicaLink → ReplicatedDevice. Closes what it opened if any step fails. */
async function openReplicated(store: FileBlockStore, lunConfig: LunConfig, metaDir: string, settings: ServeSettings): Promise<ReplicatedDevice> {
  const shown = redactedReplica(lunConfig.replica!);
  let link: IscsiReplicaLink;
  try {
    link = await IscsiReplicaLink.connect({ url: lunConfig.replica!, initiatorName: settings.replicatorIqn });
  } catch (e) {
    throw new ReplicaSetupError(`LUN ${lunConfig.path}: cannot reach the replica ${shown}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return await ReplicatedDevice.open({
      local: store,
      link,
      metaDir,
      mode: lunConfig.replicationMode ?? 'auto',
      flavour: lunConfig.sync ? 'sync' : 'async',
      startOver: settings.startOver ?? false,
    });
  } catch (e) {
    await link.close().catch(() => undefined);
    throw new ReplicaSetupError(`LUN ${lunConfig.path}: replica ${shown}: ${(e as Error).message}`, { cause: e });
  }
}

export async function startServer(settings: ServeSettings): Promise<RunningServer> {
  const scsiTargets: ScsiTarget[] = [];
  const stores: BlockDevice[] = [];
  const controlLuns: ControlLun[] = [];
  let control: ControlServer | undefined;
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
        if (settings.role === 'primary' && lunConfig.replica !== undefined) {
          try {
            device = await openReplicated(store, lunConfig, metaDir, settings);
          } catch (e) {
            await store.close().catch(() => undefined);
            throw e;
          }
          controlLuns.push({ target: config.iqn, lun, path: lunConfig.path, replica: redactedReplica(lunConfig.replica), device: device as ReplicatedDevice });
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
      const handler = createControlHandler({ role: settings.role, replicatorIqn: settings.replicatorIqn ?? '', luns: controlLuns, logger: moduleLogger('control') });
      control = await startControlServer(settings.control, handler);
    }
    const bound = await server.listen().catch(async (e: unknown) => {
      await control?.close();
      throw e;
    });
    const addresses = bound.map((a) => (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`));
    log.info(
      {
        addresses,
        role: settings.role,
        control: control?.path,
        targets: settings.targets.map((t) => ({ iqn: t.iqn, luns: t.luns.map((l) => (l.replica ? { path: l.path, replica: redactedReplica(l.replica) } : l.path)) })),
      },
      'serving',
    );
    return {
      addresses,
      ...(control ? { controlPath: control.path } : {}),
      async close() {
        await control?.close();
        await server.close();
        // ScsiTarget.close flushes and closes its LUs' devices.
        await Promise.all(scsiTargets.map((t) => t.close()));
        log.info('stopped');
      },
    };
  } catch (e) {
    await control?.close().catch(() => undefined);
    await Promise.allSettled(scsiTargets.map((t) => t.close()));
    await Promise.allSettled(stores.map((s) => s.close()));
    throw e;
  }
}
