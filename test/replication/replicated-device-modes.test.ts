import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectIdentical, openHarness, quiesce, randomWrites, reachContinuous, VOLUME } from './device-harness.js';
import { tempMetaDir } from './temp-meta.js';

describe('ReplicatedDevice continuous modes', () => {
  it('sync: every acknowledged write is already on the backup, durable there as the host asked', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'sync' });
    await reachContinuous(h);
    await randomWrites(h.device, 200);
    await expectIdentical(h);
    // Written through the backup's cache, as the host's writes go through the local one: no stricter than a plain LUN.
    expect(h.link.backup.fuaWriteCount).toBe(0);
    await h.device.write(randomBytes(4096), 0, true);
    expect(h.link.backup.fuaWriteCount).toBe(1);
    const flushes = h.link.backup.flushCount;
    await h.device.flush();
    expect(h.link.backup.flushCount).toBe(flushes + 1);
    await h.device.close();
  });

  it('async: after quiescing, backup and primary are byte-identical', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async' });
    await reachContinuous(h);
    await randomWrites(h.device, 300);
    await quiesce(h);
    await expectIdentical(h);
    await h.device.close();
  });

  it('the first sync of a blank replica challenges chunks and sends only differing ones', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'continuous' });
    await h.local.write(randomBytes(4096), 3 * 65536); // one chunk differs before replication starts
    await reachContinuous(h);
    const pass = h.device.status().lastPass!;
    expect(pass.chunks).toBe(VOLUME / 65536);
    expect(pass.sentChunks).toBe(1);
    await expectIdentical(h);
    await h.device.close();
  });
});
