/** `tandem serve`: opens the LUNs, builds the SCSI targets, and starts the portals. */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileBlockStore } from '../block/file-store.js';
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
  close(): Promise<void>;
}

export async function startServer(settings: ServeSettings): Promise<RunningServer> {
  const scsiTargets: ScsiTarget[] = [];
  const stores: FileBlockStore[] = [];
  try {
    const targets = [];
    for (const config of settings.targets) {
      const units: LogicalUnit[] = [];
      for (const [lun, lunConfig] of config.luns.entries()) {
        await mkdir(dirname(lunConfig.path), { recursive: true });
        const store = await FileBlockStore.open({ path: lunConfig.path, size: lunConfig.size, readOnly: lunConfig.readOnly });
        stores.push(store);
        const metaDir = metaDirFor(lunConfig);
        await mkdir(metaDir, { recursive: true });
        units.push(
          await LogicalUnit.create({
            lun,
            targetName: config.iqn,
            device: store,
            blockSize: lunConfig.blockSize,
            metaDir,
            removable: lunConfig.removable ?? false,
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
    const bound = await server.listen();
    const addresses = bound.map((a) => (a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`));
    log.info({ addresses, targets: settings.targets.map((t) => ({ iqn: t.iqn, luns: t.luns.map((l) => l.path) })) }, 'serving');
    return {
      addresses,
      async close() {
        await server.close();
        // ScsiTarget.close flushes and closes its LUs' devices.
        await Promise.all(scsiTargets.map((t) => t.close()));
        log.info('stopped');
      },
    };
  } catch (e) {
    await Promise.allSettled(scsiTargets.map((t) => t.close()));
    await Promise.allSettled(stores.map((s) => s.close()));
    throw e;
  }
}
