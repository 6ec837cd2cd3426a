/**
 * Planned switchover at the engine level: host writes are held while everything
 * acknowledged reaches the peer, the roles swap, and the new primary mirrors back onto the
 * old one; then the same the other way. No acknowledged write is lost either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BlockIoError } from '../../../src/block/device.js';
import { Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe.each(['async', 'sync'] as const)('switchover (%s mirroring)', (flavour) => {
  it('swaps the roles with nothing acknowledged lost, and back', async () => {
    pair = await syncedPair({ flavour });
    const { a, b } = pair;
    await writeChunks(a.device, [1, 2, 3, 4], 0x41);
    const { heldMs } = await a.device.switchover();
    expect(heldMs).toBeGreaterThanOrEqual(0);
    expect(a.device.status()).toMatchObject({ role: 'backup', state: 'backup' });
    expect(b.device.status()).toMatchObject({ role: 'primary' });
    // Everything a acknowledged is on b the moment the switchover returns.
    expect((await b.image()).equals(await a.image())).toBe(true);
    expect(a.log.events('role-change').at(-1)).toMatchObject({ from: 'primary', to: 'backup', reason: 'switchover' });
    expect(b.log.events('role-change').at(-1)).toMatchObject({ from: 'backup', to: 'primary', reason: 'switchover' });
    // The old primary's write guard now refuses host writes (DATA PROTECT), the new one's takes them.
    expect(a.device.acceptsWrites(false)).toBe(false);
    expect(b.device.acceptsWrites(false)).toBe(true);

    await pair.tickUntil(() => b.device.status().state === 'continuous');
    await writeChunks(b.device, [5, 6], 0x42);
    await pair.settle(() => b.device.status().journal.entries === 0);
    expect((await a.image()).equals(await b.image())).toBe(true);
    expect(a.device.status().generations.current).toBe(b.device.status().generations.current);

    await b.device.switchover();
    expect(a.device.status().role).toBe('primary');
    expect(b.device.status().role).toBe('backup');
    await pair.tickUntil(() => a.device.status().state === 'continuous');
    await writeChunks(a.device, [7], 0x43);
    await pair.settle(() => a.device.status().journal.entries === 0);
    expect((await a.image()).equals(await b.image())).toBe(true);
  });

  it('a write that waited at the hold is refused once the role has changed', async () => {
    pair = await syncedPair({ flavour });
    const { a } = pair;
    // One change left for the switchover to drain, and the link holds it back (async: the
    // shipper's write of it; sync: the flush that makes it durable on the peer).
    await a.device.write(Buffer.alloc(4096, 2), 8192);
    await pair.settle(() => a.device.status().journal.entries === 0);
    a.link.hold(flavour === 'sync' ? 'flush' : 'write');
    await a.device.write(Buffer.alloc(4096, 3), 8192);
    const switching = a.device.switchover();
    // Nothing to predrain (one change): the hold is on once the switchover's first microtasks ran.
    await new Promise((r) => setImmediate(r));
    // Issued while the hold is on: it waits, then finds a backup.
    // Its refusal may come before the switchover returns: caught at once.
    const late = a.device.write(Buffer.alloc(4096, 1), 0).then(() => 'written', (e: unknown) => e);
    a.link.release();
    await switching;
    const refusal = await late;
    expect(refusal).toBeInstanceOf(BlockIoError);
    expect(refusal).toMatchObject({ code: 'EROFS' });
  });
});
