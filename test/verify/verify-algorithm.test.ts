/**
 * `tandem verify` by algorithm, between live targets whose 32 MiB volumes differ in chosen
 * chunks: XXH3-128 and SHA-256 each find exactly those chunks, from a local source and from
 * a source target; the default is XXH3-128 where both ends offer it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerify } from '../../src/verify/run.js';
import { UsageError } from '../../src/util/usage-error.js';
import { HAS_XXH3, itXxh3 } from '../native/xxh3-build.js';
import { scribble, startLivePair, type LivePair } from './live-pair.js';

const SIZE = 32 * 1024 * 1024;
const CHUNK = 64 * 1024;
const BLOCK = 512;
/** First and last chunk, an adjacent pair, and one chunk that differs in its last 3 bytes only. */
const DIFFERING = [0, 17, 18, 300, 511];

const expectedExtents = [
  { lba: 0, blocks: CHUNK / BLOCK },
  { lba: (17 * CHUNK) / BLOCK, blocks: (2 * CHUNK) / BLOCK },
  { lba: (300 * CHUNK) / BLOCK, blocks: CHUNK / BLOCK },
  { lba: (511 * CHUNK) / BLOCK, blocks: CHUNK / BLOCK },
];

describe('verify --algorithm', () => {
  let pair: LivePair;

  beforeAll(async () => {
    pair = await startLivePair(SIZE, (_source, replica) => {
      for (const c of DIFFERING) scribble(replica, c === 300 ? c * CHUNK + CHUNK - 3 : c * CHUNK, c === 300 ? 3 : 100);
    });
  }, 60_000);

  afterAll(async () => {
    await pair?.close();
  });

  itXxh3('xxh3 finds exactly the differing chunks, from a local file and from a source target', async () => {
    for (const source of [pair.source.path, pair.source.url]) {
      const report = await runVerify({ source, replica: pair.replica.url, chunk: CHUNK, algorithm: 'xxh3' });
      expect(report.algorithm).toBe('xxh3');
      expect(report.chunksChecked).toBe(SIZE / CHUNK);
      expect(report.differing).toEqual(expectedExtents);
    }
  });

  it('sha256 finds the same chunks', async () => {
    const report = await runVerify({ source: pair.source.path, replica: pair.replica.url, chunk: CHUNK, algorithm: 'sha256' });
    expect(report.algorithm).toBe('sha256');
    expect(report.differing).toEqual(expectedExtents);
  });

  it('without --algorithm: the fastest both ends offer', async () => {
    const report = await runVerify({ source: pair.source.url, replica: pair.replica.url, chunk: CHUNK });
    expect(report.algorithm).toBe(HAS_XXH3 ? 'xxh3' : 'sha256');
    expect(report.differing).toEqual(expectedExtents);
  });

  it('an unknown name is a usage error before any login', async () => {
    await expect(runVerify({ source: pair.source.path, replica: 'iscsi://127.0.0.1:1/iqn.x:y/0', algorithm: 'md5' })).rejects.toThrow(UsageError);
  });
});
