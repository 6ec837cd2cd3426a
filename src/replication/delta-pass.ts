/**
 * A delta pass: copy every marked chunk (each once, however often it was written) to the
 * backup, flush the backup, then clear the bits of chunks not written meanwhile. With
 * `compare`, chunks are first challenged and only those whose answers differ move (the
 * resync after a crash or lost tracking). No point-in-time snapshot yet: the backup may
 * hold a mix of old and new chunks until the pass ends (see docs/replication.md).
 */
import { randomBytes } from 'node:crypto';
import type { BlockDevice } from '../block/device.js';
import { computeChallengeAnswer } from '../scsi/vendor/index.js';
import type { DeltaTable } from './delta-table.js';
import type { ChallengeExtent, ReplicaLink } from './replica-link.js';

export interface DeltaPassOptions {
  compare?: boolean;
  /** Chunks read/challenged/written per step (default 16). */
  batchChunks?: number;
  onProgress?: (doneChunks: number, totalChunks: number) => void;
}

export interface DeltaPassResult {
  chunks: number;
  /** Chunks actually sent (fewer than `chunks` when comparing). */
  sentChunks: number;
  bytesSent: number;
  durationMs: number;
}

export async function runDeltaPass(table: DeltaTable, local: BlockDevice, link: ReplicaLink, options: DeltaPassOptions = {}): Promise<DeltaPassResult> {
  const started = performance.now();
  const chunks = table.markedChunks();
  const batch = options.batchChunks ?? 16;
  let sentChunks = 0;
  let bytesSent = 0;
  table.beginCopy(chunks);
  try {
    for (let at = 0; at < chunks.length; at += batch) {
      const group = chunks.slice(at, at + batch);
      const datas = await Promise.all(
        group.map(async (c) => {
          const buf = Buffer.allocUnsafe(table.chunkLength(c));
          await local.read(buf, c * table.chunkSize);
          return buf;
        }),
      );
      let send = group.map((_, i) => i);
      if (options.compare) send = await differing(link, table, group, datas);
      await Promise.all(send.map((i) => link.write(datas[i]!, group[i]! * table.chunkSize, false)));
      sentChunks += send.length;
      for (const i of send) bytesSent += datas[i]!.length;
      options.onProgress?.(Math.min(at + batch, chunks.length), chunks.length);
    }
    await link.flush();
  } catch (e) {
    table.endCopy(false);
    throw e;
  }
  table.endCopy(true);
  await table.persistAll();
  return { chunks: chunks.length, sentChunks, bytesSent, durationMs: performance.now() - started };
}

/** Indexes of chunks whose challenge answer from the backup differs from ours. */
async function differing(link: ReplicaLink, table: DeltaTable, group: number[], datas: Buffer[]): Promise<number[]> {
  const extents: ChallengeExtent[] = group.map((c, i) => ({ offset: c * table.chunkSize, length: datas[i]!.length, nonce: randomBytes(16) }));
  const answers = await link.challenge(extents);
  const out: number[] = [];
  extents.forEach((e, i) => {
    const expected = computeChallengeAnswer({ data: datas[i]! }, e.nonce, BigInt(e.offset / link.blockSize), e.length / link.blockSize);
    if (!expected.equals(answers[i]!)) out.push(i);
  });
  return out;
}
