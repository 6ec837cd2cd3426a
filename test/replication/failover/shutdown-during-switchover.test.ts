/**
 * A clean shutdown (SIGTERM) that arrives while a switchover runs lets it finish first. It
 * used to close the link under it: a shutdown between this node's demotion and its peer's
 * promotion left both nodes backups, no primary for the hosts. Tried at every point of the
 * switchover, from its first turn of the event loop to after it ends. A role change asked
 * for once the shutdown has begun is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Pair, syncedPair, writeChunks } from '../paired-nodes.js';

let pair: Pair | undefined;
afterEach(async () => pair?.close());

describe.each(['async', 'sync'] as const)('a shutdown during a switchover (%s mirroring)', (flavour) => {
  it('waits for it: the peer is the primary, this node its backup, the images equal', async () => {
    for (let turns = 0; turns <= 8; turns++) {
      pair = await syncedPair({ flavour });
      const { a, b } = pair;
      await writeChunks(a.device, [1, 2, 3], 0x41);
      const switching = a.device.switchover();
      for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
      await a.device.close();
      await expect(switching, `shut down after ${turns} turns`).resolves.toMatchObject({ heldMs: expect.any(Number) });
      expect(b.device.status().role, `shut down after ${turns} turns`).toBe('primary');
      // A restart: the closed node comes back a backup and follows the new primary.
      a.crash();
      (a.store as unknown as { closed: boolean }).closed = false;
      await a.open('primary', { flavour });
      expect(a.device.status().role).toBe('backup');
      await pair.tickUntil(() => b.device.status().state === 'continuous');
      await writeChunks(b.device, [4], 0x42);
      await pair.settle(() => b.device.status().journal.entries === 0);
      expect((await a.image()).equals(await b.image())).toBe(true);
      await pair.close();
      pair = undefined;
    }
  });

  it('refuses a role change asked for once the shutdown has begun', async () => {
    pair = await syncedPair({ flavour });
    const { a, b } = pair;
    const closing = a.device.close();
    await expect(a.device.demote()).rejects.toThrow('this node is shutting down');
    await expect(a.device.switchover()).rejects.toThrow('this node is shutting down');
    await closing;
    expect(b.device.status().role).toBe('backup');
  });
});
