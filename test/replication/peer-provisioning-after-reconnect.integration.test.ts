/**
 * The replica link learns whether its peer is thin (READ CAPACITY(16) LBPME and LBPRZ) at
 * connect, but the peer may come back over another store behind a link that logged in again
 * (a restart within the reconnect window). Every bind reads the capacity again before a pass
 * goes, and with it the provisioning: a pass must not trust deallocated blocks of a store that
 * no longer reads zeroes there (it skipped or deallocated zeroes the replica then lacked), and
 * may use the allocation of a store that now reports it.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { IscsiReplicaLink } from '../../src/replication/iscsi-replica-link.js';
import { startInProcessTarget, type InProcessTarget } from './in-process-target.js';

const IQN = 'iqn.2026-12.io.tandem:peer-provisioning';
const SIZE = 1024 * 1024;

/** A store that cannot deallocate: its LU reports neither LBPME nor LBPRZ. */
class ThickStore extends MemoryBlockStore {
  override readonly canDiscard = false;
}

let target: InProcessTarget | undefined;
let link: IscsiReplicaLink | undefined;
afterEach(async () => {
  await link?.close();
  await target?.close();
  link = target = undefined;
});

it.each([
  ['thin', 'thick'],
  ['thick', 'thin'],
] as const)('a peer restarted from a %s store onto a %s one is judged by the store it has now', async (before, after) => {
  const store = (kind: 'thin' | 'thick') => (kind === 'thin' ? new MemoryBlockStore({ size: SIZE }) : new ThickStore({ size: SIZE }));
  target = await startInProcessTarget(IQN, store(before));
  const port = target.port;
  link = await IscsiReplicaLink.connect({ url: `iscsi://127.0.0.1:${port}/${IQN}/0`, localVolume: 'test:peer-provisioning', operationTimeoutMs: 5000 });
  expect(link.thin).toBe(before === 'thin');
  expect((await link.allocation(0, SIZE)) !== undefined).toBe(before === 'thin');

  await target.close();
  target = await startInProcessTarget(IQN, store(after), port);
  const l = link;
  // The session logs in again by itself; a command on the new session proves it has.
  await vi.waitFor(
    async () => {
      await l.ping();
      expect(l.health().reconnects).toBe(1);
    },
    { timeout: 10_000, interval: 20 },
  );

  // What the binding does first after a reconnect.
  expect(await link.capacity()).toEqual({ size: SIZE, blockSize: 512 });
  expect(link.thin).toBe(after === 'thin');
  const allocation = await link.allocation(0, SIZE);
  if (after === 'thin') expect(allocation).toEqual([{ offset: 0, length: SIZE, mapped: false }]);
  else expect(allocation).toBeUndefined();
});
