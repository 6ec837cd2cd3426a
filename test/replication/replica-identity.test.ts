import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { loadIdentity } from '../../src/replication/volume-record.js';
import { ReplicaMismatchError } from '../../src/replication/volume-identity.js';
import { tagOfVolume } from '../../src/replication/volume-tag-pr.js';
import { VOLUME, openHarness, reachContinuous } from './device-harness.js';
import { FakeLink } from './fake-link.js';
import { tempMetaDir } from './temp-meta.js';

describe('replica identity', () => {
  it('claims a blank replica, persists the identity, and accepts it on reopen', async () => {
    const dir = tempMetaDir();
    const h = await openHarness(dir);
    await reachContinuous(h);
    const id = await loadIdentity(dir);
    expect(id?.replicaSynced).toBe(true);
    expect(h.link.tags).toEqual([tagOfVolume(id!.volumeId)]);
    await h.device.close();
    const again = await openHarness(dir, {}, { local: new MemoryBlockStore({ size: VOLUME }), link: h.link });
    expect(again.device.status().state).toBe('continuous');
    expect(again.device.status().identity.generation).toBe(id!.generation);
    await again.device.close();
  });

  it('refuses a replica that belongs to another volume, with a clear error', async () => {
    const link = new FakeLink(VOLUME);
    link.tags = [0x123456789abcn];
    const err = await openHarness(tempMetaDir(), {}, { local: new MemoryBlockStore({ size: VOLUME }), link }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicaMismatchError);
    expect((err as Error).message).toMatch(/belongs to another volume.*123456789abc/);
  });

  it('starting over takes the replica, bumps the generation and resyncs it', async () => {
    const dir = tempMetaDir();
    const link = new FakeLink(VOLUME);
    link.tags = [0x123456789abcn];
    const h = await openHarness(dir, { startOver: true }, { local: new MemoryBlockStore({ size: VOLUME }), link });
    const id = await loadIdentity(dir);
    expect(id!.generation).toBe(2);
    expect(link.tags).toEqual([tagOfVolume(id!.volumeId)]);
    expect(h.device.status().state).toBe('delta');
    await reachContinuous(h);
    await h.device.close();
  });
});
