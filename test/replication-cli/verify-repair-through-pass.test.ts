/**
 * `tandem verify --repair --control`: the running primary marks the chunks verify found
 * different in its delta table and a pass copies them, as any change the backup lacks. Found
 * by hand: the CLI refused --repair there and advised `tandem replicate`, which copies only
 * what the table marks, so a backup corrupted behind the pair's back stayed different.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createControlHandler, type LunVerifier } from '../../src/replication/control/handler.js';
import { PAIR_CHUNK, PAIR_VOLUME, Pair, syncedPair, writeChunks } from '../replication/paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

const BLOCK = 512;

/** What the verify engine reports, from the two images compared chunk by chunk. */
function comparingVerifier(p: Pair): LunVerifier {
  return async () => {
    const [a, b] = [await p.a.image(), await p.b.image()];
    const differing: Array<{ lba: number; blocks: number }> = [];
    for (let off = 0; off < PAIR_VOLUME; off += PAIR_CHUNK) {
      if (!a.subarray(off, off + PAIR_CHUNK).equals(b.subarray(off, off + PAIR_CHUNK))) differing.push({ lba: off / BLOCK, blocks: PAIR_CHUNK / BLOCK });
    }
    return { differingChunks: differing.length, blockSize: BLOCK, differing };
  };
}

async function handlerOver(p: Pair) {
  return createControlHandler({
    role: 'primary',
    replicatorIqn: 'iqn.2026-11.io.tandem:replicator',
    logger: pino({ level: 'silent' }),
    luns: [{ target: 'iqn.2026-11.io.tandem:disk0', lun: 0, path: '/img/a.img', replica: 'iscsi://b/iqn.x:y/0', device: p.a.device }],
    verify: comparingVerifier(p),
  });
}

describe('tandem verify --repair against the running pair', () => {
  it('copies the chunks that differ by a pass; without --repair they stay different', async () => {
    pair = await syncedPair();
    const { a, b } = pair;
    await writeChunks(a.device, [1, 2, 3], 0x5a);
    await pair.settle(() => a.device.status().journal.entries === 0);
    // Behind the pair's back: the backup's image changed where the primary's table marks nothing.
    await b.store.write(Buffer.alloc(4096, 0xee), 9 * PAIR_CHUNK + 8192);
    await b.store.write(Buffer.alloc(512, 0xee), 2 * PAIR_CHUNK);
    const handler = await handlerOver(pair);

    const checked = await handler({ cmd: 'verify' }, () => undefined);
    expect(checked).toMatchObject({ ok: true, result: { reports: [{ report: { differingChunks: 2 } }] } });
    expect((checked as { result: { reports: Array<{ repair?: unknown }> } }).result.reports[0]!.repair).toBeUndefined();
    await a.device.replicateNow();
    expect((await b.image()).equals(await a.image()), 'a plain pass does not know of them').toBe(false);

    const repaired = await handler({ cmd: 'verify', repair: true }, () => undefined);
    expect(repaired).toMatchObject({ ok: true, result: { reports: [{ report: { differingChunks: 2 }, repair: { chunks: 2 } }] } });
    expect((await b.image()).equals(await a.image()), 'the backup holds the primary\'s image again').toBe(true);
    expect(a.device.status().dirtyChunks).toBe(0);
  });
});
