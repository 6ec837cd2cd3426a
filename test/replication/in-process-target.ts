/**
 * A one-LUN iSCSI target in this process on a loopback port, over the given store: what a
 * replica link's integration tests log in to.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { BlockDevice } from '../../src/block/device.js';
import { LogicalUnit } from '../../src/scsi/logical-unit.js';
import { ScsiTarget } from '../../src/scsi/scsi-target.js';
import { IscsiServer } from '../../src/target/server.js';

export interface InProcessTarget {
  port: number;
  close(): Promise<void>;
}

/** `port`: 0 for any free one; a given one serves a target restarted where its initiators reconnect. */
export async function startInProcessTarget(iqn: string, device: BlockDevice, port = 0): Promise<InProcessTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-in-process-target-'));
  const unit = await LogicalUnit.create({ lun: 0, targetName: iqn, device, blockSize: 512, metaDir: dir });
  const scsi = new ScsiTarget(iqn, [unit]);
  const server = new IscsiServer({ targets: [{ config: { iqn, allow: [] }, scsi }], portals: [{ host: '127.0.0.1', port }], logger: pino({ level: 'silent' }) });
  const bound = (await server.listen())[0]!.port;
  return {
    port: bound,
    async close() {
      await server.close();
      await scsi.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
