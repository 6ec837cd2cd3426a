/**
 * A resync challenges each chunk whole (chunk-moves.ts differing()), so the largest chunk the
 * config takes (8 MiB, replication-options.ts) must be one extent the backup answers: it
 * refuses extents above its MAXIMUM EXTENT LENGTH (VPD C0h), and with 16 MiB chunks (once
 * allowed) every resync failed.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { IscsiReplicaLink } from '../../src/replication/iscsi-replica-link.js';
import { startInProcessTarget, type InProcessTarget } from './in-process-target.js';

const IQN = 'iqn.2024-01.test:largest-chunk';
let target: InProcessTarget | undefined;
let link: IscsiReplicaLink | undefined;
afterEach(async () => {
  await link?.close();
  await target?.close();
  link = undefined;
  target = undefined;
});

describe('the largest chunk a resync challenges', () => {
  it('is one extent the backup answers (8 MiB), and one above it is refused', async () => {
    target = await startInProcessTarget(IQN, new MemoryBlockStore({ size: 32 * 1024 * 1024 }));
    link = await IscsiReplicaLink.connect({ url: `iscsi://127.0.0.1:${target.port}/${IQN}/0`, operationTimeoutMs: 5000 });
    const answers = await link.challenge([{ offset: 0, length: 8 * 1024 * 1024, nonce: randomBytes(16) }]);
    expect(answers).toHaveLength(1);
    await expect(link.challenge([{ offset: 0, length: 16 * 1024 * 1024, nonce: randomBytes(16) }])).rejects.toThrow();
  });
});
