/**
 * A resync's compare step (a delta pass with `compare`) against a live Tandem backup: the
 * link reads the backup's C0h at connect, the pass challenges with the fastest algorithm
 * both ends have (XXH3-128 where built) and sends exactly the chunks that differ.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HAS_XXH3 } from '../native/xxh3-build.js';
import { DeltaTable } from '../../src/replication/delta-table.js';
import { runDeltaPass } from '../../src/replication/delta-pass.js';
import { ChunkSet } from '../../src/replication/chunk-set.js';
import { IscsiReplicaLink } from '../../src/replication/iscsi-replica-link.js';
import { setLogLevel } from '../../src/util/log.js';
import { startLiveTarget, type LiveTarget } from '../integration/helpers.js';

const SIZE = 4 * 1024 * 1024;
const CHUNK = 64 * 1024;
const CHUNKS = SIZE / CHUNK;
const DIFFERING = [0, 5, 6, 63];

describe('resync compare by challenge', () => {
  let backup: LiveTarget;
  let link: IscsiReplicaLink;

  beforeAll(async () => {
    setLogLevel('warn');
    backup = await startLiveTarget({ lunSpecs: ['backup.img,size=4M'] });
    link = await IscsiReplicaLink.connect({ url: backup.url(0) });
  });

  afterAll(async () => {
    await link?.close();
    await backup?.close();
  });

  it('the link knows what the backup advertises in C0h', () => {
    expect(link.challengeAlgorithms).toEqual(HAS_XXH3 ? [0, 1] : [0]);
  });

  it('challenges with the shared fastest algorithm and sends only the differing chunks', async () => {
    const primary = randomBytes(SIZE);
    const replica = Buffer.from(primary);
    for (const c of DIFFERING) replica[c * CHUNK + 100] ^= 0xff;
    await link.write(replica, 0, true);
    const table = await DeltaTable.open({ dir: backup.dir, volumeSize: SIZE, chunkSize: CHUNK });
    const all = Array.from({ length: CHUNKS }, (_, i) => i);
    const challenge = vi.spyOn(link, 'challenge');
    table.beginCopy(all);
    const result = await runDeltaPass(table, ChunkSet.of(all), { read: async (c, buf) => void primary.copy(buf, 0, c * CHUNK) }, link, { compare: true });
    expect(challenge.mock.calls.every((call) => call[1] === (HAS_XXH3 ? 1 : 0))).toBe(true);
    expect(result.sentChunks).toBe(DIFFERING.length);
    const after = Buffer.alloc(SIZE);
    await link.read(after, 0);
    expect(after.equals(primary)).toBe(true);
    await table.close();
  });
});
