/**
 * Verify challenges only chunks that hold data on either end: chunks deallocated on both read
 * as zeroes on both, so they are equal. Found by hand: verify of a 4 TiB thin pair holding
 * 50 MiB hashed 4 TiB of zeroes (about 35 minutes here; 6 s now). A chunk with data on one end
 * only is still challenged, whichever end, and so is a chunk of written zeroes.
 */
import { closeSync, openSync, truncateSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerify } from '../../src/verify/run.js';
import { startLivePair, type LivePair } from './live-pair.js';

const SIZE = 32 * 1024 * 1024;
const CHUNK = 64 * 1024;
const BLOCK = 512;
const CHUNKS = SIZE / CHUNK;
/** Data on both ends, alike. */
const ON_BOTH = [3, 4, 100];
/** Data on the source, a hole on the replica; and the other way round. */
const SOURCE_ONLY = 200;
const REPLICA_ONLY = 300;
/** Zeroes written on the replica (allocated), a hole on the source: equal, but not a hole on both. */
const WRITTEN_ZEROES = 400;

function writeChunk(path: string, chunk: number, data: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, data, 0, data.length, chunk * CHUNK);
  } finally {
    closeSync(fd);
  }
}

describe('verify skips chunks deallocated on both ends', () => {
  let pair: LivePair;

  beforeAll(async () => {
    pair = await startLivePair(SIZE, (source, replica) => {
      for (const path of [source, replica]) {
        truncateSync(path, 0);
        truncateSync(path, SIZE);
      }
      for (const c of ON_BOTH) {
        const data = randomBytes(CHUNK);
        writeChunk(source, c, data);
        writeChunk(replica, c, data);
      }
      writeChunk(source, SOURCE_ONLY, randomBytes(CHUNK));
      writeChunk(replica, REPLICA_ONLY, randomBytes(CHUNK));
      writeChunk(replica, WRITTEN_ZEROES, Buffer.alloc(CHUNK));
    });
  }, 60_000);

  afterAll(async () => {
    await pair?.close();
  });

  it('from a local source file and from a source target: only data on one end differs; holes on both are not challenged', async () => {
    for (const source of [pair.source.path, pair.source.url]) {
      const report = await runVerify({ source, replica: pair.replica.url, chunk: CHUNK });
      expect(report.chunksChecked).toBe(CHUNKS);
      expect(report.differing).toEqual([SOURCE_ONLY, REPLICA_ONLY].map((c) => ({ lba: (c * CHUNK) / BLOCK, blocks: CHUNK / BLOCK })));
      // Every chunk but those with data (or written zeroes) on some end.
      expect(report.unallocatedChunks).toBe(CHUNKS - ON_BOTH.length - 3);
    }
  });
});
