/**
 * A write the primary's link gave up on while the backup's storage held it (the connection
 * lost, the link reconnected) lands before the link's next write to the same blocks, never
 * after it: the backup answers the reconnecting login only once the lost session's tasks have
 * settled. Without that, the late write would put back data the primary has since replaced
 * (a delta pass rewrote the chunk, or the host did), with nothing left to say they differ.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import type { ReconnectingSession } from '../../src/initiator/index.js';
import { IscsiReplicaLink } from '../../src/replication/iscsi-replica-link.js';
import { startInProcessTarget, type InProcessTarget } from './in-process-target.js';

const IQN = 'iqn.2026-12.io.tandem:late-write';
const SIZE = 16 * 1024 * 1024;

/** A store that holds the next write (only that one) in "storage" until release(). */
class StallingStore extends MemoryBlockStore {
  private holdNext = false;
  private releaseHeld: (() => void) | undefined;
  private arrived: (() => void) | undefined;

  /** Holds the next write; resolves once it has reached the store. */
  stallNext(): Promise<void> {
    this.holdNext = true;
    return new Promise((resolve) => (this.arrived = resolve));
  }

  release(): void {
    this.releaseHeld?.();
  }

  override async write(buf: Buffer, offset: number, fua = false): Promise<void> {
    if (this.holdNext) {
      this.holdNext = false;
      await new Promise<void>((resolve) => {
        this.releaseHeld = resolve;
        this.arrived?.();
      });
    }
    return super.write(buf, offset, fua);
  }
}

describe('a late write on the backup after the link reconnects', () => {
  let store: StallingStore;
  let target: InProcessTarget;
  beforeAll(async () => {
    store = new StallingStore({ size: SIZE });
    target = await startInProcessTarget(IQN, store);
  });
  afterAll(() => target?.close());

  it('lands before the write the link sends on its next session, so the newer data stays', async () => {
    const link = await IscsiReplicaLink.connect({ url: `iscsi://127.0.0.1:${target.port}/${IQN}/0`, localVolume: 'test:late-write', operationTimeoutMs: 5000 });
    const session = (link as unknown as { session: ReconnectingSession }).session;
    try {
      const held = store.stallNext();
      const old = link.write(Buffer.alloc(4096, 0xaa), 0, false).then(
        () => 'landed',
        () => 'failed',
      );
      await held;
      // The connection is lost with the write in the backup's storage; the link gives it up.
      session.stopReissues();
      session.current!.destroy('test: connection lost');
      expect(await old).toBe('failed');
      const next = link.write(Buffer.alloc(4096, 0xbb), 0, false);
      // Without the wait at login the next write lands here, and the held one over it after.
      await Promise.race([next.catch(() => undefined), sleep(300)]);
      store.release();
      await next;
      const b = Buffer.alloc(4096);
      await link.read(b, 0);
      expect(b.every((x) => x === 0xbb)).toBe(true);
    } finally {
      store.release();
      await link.close();
    }
  });
});
