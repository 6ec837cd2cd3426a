/**
 * A backup restored to a recovery point tells its primary's session (UNIT ATTENTION, MEDIUM
 * MAY HAVE CHANGED), and the primary must bind again and resynchronise what the restore
 * changed, whichever of its commands meets the attention. Found by hand: when a later
 * command succeeded before the engine's next look at the link, the link looked healthy,
 * nothing was rebound, and the pair went on in continuous mirroring with the backup holding
 * the point's data where the primary held newer data, for good.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import type { AdminIo } from '../../src/cli/admin/call.js';
import { pointRestoreCommand } from '../../src/cli/admin/points.js';
import { DEFAULT_INITIATOR_NAME } from '../../src/initiator/index.js';
import { IscsiReplicaLink } from '../../src/replication/iscsi-replica-link.js';
import { ConsistencyGroup } from '../../src/replication/points/consistency-group.js';
import { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import { startLiveTarget, type LiveTarget } from '../integration/helpers.js';
import { capturedLog } from './captured-log.js';
import { tempMetaDir } from './temp-meta.js';

const SIZE = 64 * 1024 * 1024;
const REGION = 4 * 1024 * 1024;

describe('a restore on the backup', () => {
  let backup: LiveTarget;
  const controlDir = mkdtempSync(join(tmpdir(), 'tandem-restore-ctl-'));
  beforeAll(async () => {
    backup = await startLiveTarget({ role: 'backup', replicatorIqn: DEFAULT_INITIATOR_NAME, control: join(controlDir, 'tandem.sock') });
  });
  afterAll(async () => {
    await backup?.close();
    rmSync(controlDir, { recursive: true, force: true });
  });

  it('makes the primary bind again and resynchronise, though a later command succeeded before it looked', async () => {
    const clock = { now: 0 };
    const local = new MemoryBlockStore({ size: SIZE, path: 'primary' });
    const link = await IscsiReplicaLink.connect({ url: backup.url(0), operationTimeoutMs: 3000 });
    const log = capturedLog();
    const device = await ReplicatedDevice.open({ local, link, metaDir: tempMetaDir(), mode: 'auto', flavour: 'sync', tickMs: 0, clock: () => clock.now, thresholds: { healthyForMs: 1000 }, logger: log.logger });
    const group = new ConsistencyGroup([{ lun: 0, volume: device }], { target: 'iqn.test:restore', clock: () => clock.now, log: log.logger });
    const tick = async (ms: number) => {
      clock.now += ms;
      await device.tick();
    };
    const backupImage = () => createHash('sha256').update(readFileSync(join(backup.dir, 'disk0.img'))).digest('hex');
    const primaryImage = async () => (await local.sha256(0, SIZE)).toString('hex');
    try {
      await tick(2000);
      await tick(2000);
      expect(device.status().state).toBe('continuous');
      await device.write(Buffer.alloc(REGION, 0x11), 0);
      const point = await group.createPoint('manual');
      await device.write(Buffer.alloc(REGION, 0x22), 0);
      expect(backupImage()).toBe(await primaryImage());

      const io: AdminIo & { stderr: string } = { stderr: '', out: () => undefined, err: (t) => void (io.stderr += t) };
      expect(await pointRestoreCommand({ control: backup.server.controlPath!, json: true, id: point.id }, io), io.stderr).toBe(0);
      expect(backupImage()).not.toBe(await primaryImage());
      // Some command of the primary's meets the attention, and the next one succeeds, before the engine looks.
      await expect(link.ping()).rejects.toThrow(/asc 0x28\/0x0/);
      await link.ping();
      expect(link.health().up).toBe(true);

      // Out to delta mode, bound again with the backup's changes to overwrite, a pass, back to continuous.
      await tick(1000);
      for (let i = 0; i < 6 && device.status().state !== 'continuous'; i++) await tick(1000);
      expect(log.events('mode-switch').map((e) => e['reason'])).toContain('link-failed');
      expect(device.status().state).toBe('continuous');
      expect(backupImage()).toBe(await primaryImage());
    } finally {
      group.close();
      await device.close();
    }
  }, 60_000);
});
