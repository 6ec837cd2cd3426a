import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_INITIATOR_NAME, type ScsiCommands } from '../../src/initiator/index.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { IscsiReplicaLink } from '../../src/replication/iscsi-replica-link.js';
import { ReplicatedDevice } from '../../src/replication/replicated-device.js';
import { ReplicaMismatchError } from '../../src/replication/volume-identity.js';
import { startLiveTarget, type LiveTarget } from '../integration/helpers.js';
import { CuttableLink } from './cuttable-link.js';
import { tempMetaDir } from './temp-meta.js';

const SIZE = 64 * 1024 * 1024;

describe('replication onto a real Tandem backup target', () => {
  let backup: LiveTarget;
  const controlDir = mkdtempSync(join(tmpdir(), 'tandem-it-ctl-'));
  beforeAll(async () => {
    // A backup-role target: it stages delta passes (PASS CONTROL / STAGED WRITE) and takes writes from the replicator only.
    backup = await startLiveTarget({ role: 'backup', replicatorIqn: DEFAULT_INITIATOR_NAME, control: join(controlDir, 'tandem.sock') });
  });
  afterAll(async () => {
    await backup?.close();
    rmSync(controlDir, { recursive: true, force: true });
  });

  function backupImageHash(): string {
    return createHash('sha256').update(readFileSync(join(backup.dir, 'disk0.img'))).digest('hex');
  }

  async function writeSome(device: ReplicatedDevice, n: number): Promise<void> {
    for (let i = 0; i < n; i += 16) {
      await Promise.all(
        Array.from({ length: 16 }, () => device.write(randomBytes(4096 * (1 + Math.floor(Math.random() * 4))), Math.floor(Math.random() * 16000) * 4096)),
      );
    }
  }

  it('asks the backup which commands it takes: WRITE SCATTERED yes, an unknown service action no', async () => {
    const link = await IscsiReplicaLink.connect({ url: backup.url(0), operationTimeoutMs: 3000 });
    try {
      expect(link.scatteredRanges).toBe(127);
      const session = (link as unknown as { session: ScsiCommands }).session;
      expect(await session.supportsCommand(0, 0x9f, 0x12)).toBe(true);
      expect(await session.supportsCommand(0, 0x9f, 0x1e)).toBe(false);
      expect(await session.supportsCommand(0, 0x8a)).toBe(true);
      expect(await session.supportsCommand(0, 0x9f)).toBe(false);
    } finally {
      await link.close();
    }
  });

  it('sync, then async, then a cut and restored link in auto mode: images identical each time; a second volume is refused', async () => {
    const clock = { now: 0 };
    const local = new MemoryBlockStore({ size: SIZE, path: 'primary' });
    const link = new CuttableLink(await IscsiReplicaLink.connect({ url: backup.url(0), operationTimeoutMs: 3000 }));
    const metaDir = tempMetaDir();
    const device = await ReplicatedDevice.open({ local, link, metaDir, mode: 'auto', flavour: 'sync', tickMs: 0, clock: () => clock.now, thresholds: { healthyForMs: 1000 } });
    const tick = async (ms: number) => {
      clock.now += ms;
      await device.tick();
    };
    const localHash = async () => (await local.sha256(0, SIZE)).toString('hex');
    try {
      await tick(2000);
      await tick(2000);
      expect(device.status().state).toBe('continuous');

      await writeSome(device, 128);
      expect(backupImageHash()).toBe(await localHash());
      // A host UNMAP reaches the backup as UNMAP: both read zeroes there.
      await device.discard(1024 * 4096, 256 * 4096);
      expect(device.status().state).toBe('continuous');
      expect(backupImageHash()).toBe(await localHash());

      await device.setMode('auto', 'async');
      await tick(2000);
      await tick(2000);
      expect(device.status().state).toBe('continuous');
      await writeSome(device, 128);
      await device.discard(2048 * 4096, 64 * 4096);
      // The flusher drains the journal over real iSCSI: wait for it (bounded generously), not a fixed time.
      await vi.waitFor(() => expect(device.status().journal.entries).toBe(0), { timeout: 20_000, interval: 10 });
      expect(backupImageHash()).toBe(await localHash());
      // Our backup takes WRITE SCATTERED (asked at connect); scattered async writes went in it.
      expect(link.scatteredRanges).toBeGreaterThan(1);
      expect(link.scatteredCommands).toBeGreaterThan(0);

      link.cut = true;
      await writeSome(device, 64);
      await tick(1000);
      expect(device.status().state).toBe('delta');
      await writeSome(device, 64);
      link.cut = false;
      await tick(500);
      await tick(1500);
      expect(device.status().state).toBe('continuous');
      // The catch-up passes went through the backup's staging and were committed whole.
      expect(link.commits).toBeGreaterThanOrEqual(1);
      expect(backupImageHash()).toBe(await localHash());

      const intruder = await IscsiReplicaLink.connect({ url: backup.url(0), initiatorName: 'iqn.2026-11.io.tandem:other-primary' });
      const err = await ReplicatedDevice.open({ local: new MemoryBlockStore({ size: SIZE }), link: intruder, metaDir: tempMetaDir(), tickMs: 0 }).catch((e: unknown) => e);
      await intruder.close();
      expect(err).toBeInstanceOf(ReplicaMismatchError);
    } finally {
      await device.close();
    }
  }, 60_000);
});
