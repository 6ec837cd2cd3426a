/**
 * The iSCSI replica link tells its listener when it logged in again after losing its
 * connection (and counts it in health().reconnects), so the engine binds the peer again at
 * once: the peer behind the new session may be another process, even on another disk.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import type { ReconnectingSession } from '../../src/initiator/index.js';
import { IscsiReplicaLink } from '../../src/replication/iscsi-replica-link.js';
import { startInProcessTarget, type InProcessTarget } from './in-process-target.js';

const IQN = 'iqn.2026-12.io.tandem:link-reconnect';

let target: InProcessTarget;
beforeAll(async () => {
  target = await startInProcessTarget(IQN, new MemoryBlockStore({ size: 1024 * 1024 }));
});
afterAll(() => target?.close());

it('a lost connection logged in again is a peer event, heard once per reconnect', async () => {
  const link = await IscsiReplicaLink.connect({ url: `iscsi://127.0.0.1:${target.port}/${IQN}/0`, localVolume: 'test:link-reconnect', operationTimeoutMs: 5000 });
  const session = (link as unknown as { session: ReconnectingSession }).session;
  let heard = 0;
  link.onPeerEvent = () => heard++;
  try {
    await link.ping();
    expect(heard).toBe(0);
    session.current!.destroy('test: connection lost');
    await vi.waitFor(() => expect(heard).toBe(1), { timeout: 10_000, interval: 10 });
    expect(link.health().reconnects).toBe(1);
    // The link works on the new session, and a command on it is no further event.
    await link.ping();
    expect(heard).toBe(1);
  } finally {
    await link.close();
  }
});
