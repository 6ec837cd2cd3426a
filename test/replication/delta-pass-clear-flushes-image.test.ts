/**
 * A pass that clears a chunk whose mark was only noted in memory (a plain host write: the
 * activity log covers it until the table is persisted) must flush the primary's image
 * before that mark may be forgotten for good. Otherwise the write's extent cools, a power
 * loss takes the write from the primary while the backup holds it, and nothing marks the
 * chunk: the pair differs for good while counting itself in step.
 */
import { describe, expect, it } from 'vitest';
import { CHUNK, PowerLossWorld } from './power-loss-world.js';

const BLOCKS_PER_CHUNK = CHUNK / 512;

describe('a delta pass clearing a mark noted only in memory', () => {
  it('flushes the image first, so a power loss after the extent cooled leaves no unmarked difference', async () => {
    // One extent per chunk, one kept hot: a write elsewhere lets a cold extent go.
    const w = new PowerLossWorld({ mode: 'delta', steps: [], crashAfter: 0, crashExtra: 0, seed: 1, keepPrimary: 'none', backupCrash: undefined, journalCapacity: 8192, activity: { extentSize: CHUNK, extents: 1 } });
    await w.start();
    // A plain write to chunk 2, then a pass right away: chunk 2 reaches the backup.
    w.issue({ kind: 'write', block: 2 * BLOCKS_PER_CHUNK, blocks: 1, fua: false });
    await w.idle('write');
    w.issue({ kind: 'replicate' });
    await w.idle('pass');
    expect(w.device.status().dirtyChunks).toBe(0);
    // Writes to other chunks: chunk 2's extent leaves the activity log.
    w.issue({ kind: 'write', block: 5 * BLOCKS_PER_CHUNK, blocks: 1, fua: false });
    w.issue({ kind: 'write', block: 8 * BLOCKS_PER_CHUNK, blocks: 1, fua: false });
    await w.idle('writes elsewhere');
    expect(w.failures).toEqual([]);
    // The primary loses power (everything unflushed is lost); the backup stays up.
    await w.crash();
    await w.recover();
    expect(w.unmarkedDifferences()).toEqual([]);
    await w.converge('after the power loss');
    expect(w.primary.image().equals(w.backup.image.image())).toBe(true);
  });
});
