/**
 * A delta pass sends the image as it was when the pass started (copy-on-write snapshot),
 * and a staged pass reaches the backup all at once or not at all.
 */
import { describe, expect, it } from 'vitest';
import { openHarness, VOLUME, type Harness } from './device-harness.js';
import { tempMetaDir } from './temp-meta.js';

const CHUNK = 64 * 1024;

async function hash(h: Harness, side: 'local' | 'backup'): Promise<string> {
  const store = side === 'local' ? h.local : h.link.backup;
  return (await store.sha256(0, VOLUME)).toString('hex');
}

/** Writes `fill` over the first `chunks` chunks, a whole chunk and a partial one alternately. */
async function writeChunks(h: Harness, chunks: number, fill: number): Promise<void> {
  await Promise.all(
    Array.from({ length: chunks }, (_, c) => {
      const length = c % 2 === 0 ? CHUNK : 4096;
      return h.device.write(Buffer.alloc(length, fill), c * CHUNK + (c % 2 === 0 ? 0 : 8192));
    }),
  );
}

/** Delta mode, first full copy done: the backup holds a consistent image. */
async function synced(canStage = true): Promise<Harness> {
  const h = await openHarness(tempMetaDir(), { mode: 'delta' });
  h.link.canStage = canStage;
  await h.device.replicateNow();
  expect(await hash(h, 'backup')).toBe(await hash(h, 'local'));
  expect(h.device.status().identity.replicaSynced).toBe(true);
  return h;
}

describe('delta pass point in time', () => {
  it.each([true, false])('host writes during the pass do not reach it: the backup gets the image at its start (staging %s)', async (canStage) => {
    const h = await synced(canStage);
    await writeChunks(h, 8, 0xa1);
    const atStart = await hash(h, 'local');
    // Rewrite the same chunks once the pass has started but before it read any of them.
    h.link.onBeginPass = async () => {
      h.link.onBeginPass = undefined;
      await writeChunks(h, 8, 0xb2);
    };
    const result = await h.device.replicateNow();
    expect(result.chunks).toBe(8);
    expect(result.staged).toBe(canStage);
    expect(await hash(h, 'backup')).toBe(atStart);
    // The rewritten chunks stay dirty and the next pass brings them over.
    expect(h.device.status().dirtyChunks).toBe(8);
    await h.device.replicateNow();
    expect(await hash(h, 'backup')).toBe(await hash(h, 'local'));
    await h.device.close();
  });

  it('a staged pass cut short leaves the backup at its previous image; the next pass completes it', async () => {
    const h = await synced();
    const previous = await hash(h, 'backup');
    await writeChunks(h, 12, 0xc3);
    // The 12 contiguous chunks go in one STAGED WRITE: the link goes down after it, before the commit.
    h.link.cutAfterStagedWrites = 1;
    await expect(h.device.replicateNow()).rejects.toThrow();
    // The first full copy was not staged and this pass never committed.
    expect(h.link.commits).toBe(0);
    expect(await hash(h, 'backup')).toBe(previous);
    expect(h.device.status().dirtyChunks).toBe(12);
    h.link.cut = false;
    h.link.cutAfterStagedWrites = undefined;
    const result = await h.device.replicateNow();
    expect(result.staged).toBe(true);
    expect(h.link.commits).toBe(1);
    expect(await hash(h, 'backup')).toBe(await hash(h, 'local'));
    await h.device.close();
  });

  it('the first full copy of a never-synced replica is not staged (it has no consistent image to keep)', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'delta' });
    const result = await h.device.replicateNow();
    expect(result.staged).toBe(false);
    expect(h.link.commits).toBe(0);
    await h.device.close();
  });
});
