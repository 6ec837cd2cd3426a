/**
 * A delta pass: copy every chunk of the pass (each once, however often it was written) to
 * the backup, then clear the bits of chunks not written meanwhile. The chunks are read
 * from a point-in-time source (PassSnapshot), so the backup receives one consistent image.
 * With `staged`, the backup stages the pass and applies it at commit, all at once: a pass
 * cut short leaves it at the previous image. With `compare`, chunks are first challenged
 * and only those whose answers differ move (the resync after a crash or lost tracking).
 */
import { randomBytes } from 'node:crypto';
import { answerForData, sharedAlgorithm } from '../verify/local-answers.js';
import type { DeltaTable } from './delta-table.js';
import type { ChallengeExtent, ReplicaLink } from './replica-link.js';

/** Where the pass reads its chunks (the pass's point-in-time view). */
export interface PassSource {
  read(chunk: number, buf: Buffer): Promise<void>;
}

export interface DeltaPassOptions {
  compare?: boolean;
  /** Stage the pass on the backup and commit it atomically (when the backup can). */
  staged?: boolean;
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
  /** The backup applied the pass atomically at commit. */
  staged: boolean;
}

/**
 * Runs a pass over `chunks`, for which the caller has called `table.beginCopy(chunks)` at
 * the point in time `source` shows; this ends the copy either way.
 */
export async function runDeltaPass(
  table: DeltaTable,
  chunks: readonly number[],
  source: PassSource,
  link: ReplicaLink,
  options: DeltaPassOptions = {},
): Promise<DeltaPassResult> {
  const started = performance.now();
  const batch = options.batchChunks ?? 16;
  let sentChunks = 0;
  let bytesSent = 0;
  const passId = randomBytes(8).readBigUInt64BE(0);
  let staged = false;
  try {
    staged = chunks.length > 0 && (options.staged ?? false) && (await link.beginPass(passId));
    for (let at = 0; at < chunks.length; at += batch) {
      const group = chunks.slice(at, at + batch);
      const datas = await Promise.all(
        group.map(async (c) => {
          const buf = Buffer.allocUnsafe(table.chunkLength(c));
          await source.read(c, buf);
          return buf;
        }),
      );
      let send = group.map((_, i) => i);
      if (options.compare) send = await differing(link, table, group, datas);
      await Promise.all(
        send.map((i) => (staged ? link.stagedWrite(datas[i]!, group[i]! * table.chunkSize) : link.write(datas[i]!, group[i]! * table.chunkSize, false))),
      );
      sentChunks += send.length;
      for (const i of send) bytesSent += datas[i]!.length;
      options.onProgress?.(Math.min(at + batch, chunks.length), chunks.length);
    }
    if (staged) await link.commitPass(passId, bytesSent);
    else await link.flush();
  } catch (e) {
    // Best effort: the backup drops an open pass anyway at the next BEGIN or restart.
    if (staged) link.abortPass(passId).catch(() => undefined);
    table.endCopy(false);
    throw e;
  }
  table.endCopy(true);
  await table.persistAll();
  return { chunks: chunks.length, sentChunks, bytesSent, durationMs: performance.now() - started, staged };
}

/** Indexes of chunks whose challenge answer from the backup differs from ours. */
async function differing(link: ReplicaLink, table: DeltaTable, group: number[], datas: Buffer[]): Promise<number[]> {
  const extents: ChallengeExtent[] = group.map((c, i) => ({ offset: c * table.chunkSize, length: datas[i]!.length, nonce: randomBytes(16) }));
  // The fastest digest both ends have (XXH3-128 over SHA-256): the backup's hashing bounds a resync.
  const algorithm = sharedAlgorithm(link.challengeAlgorithms);
  const answers = await link.challenge(extents, algorithm);
  const out: number[] = [];
  extents.forEach((e, i) => {
    const entry = { lba: BigInt(e.offset / link.blockSize), blocks: e.length / link.blockSize, nonce: e.nonce };
    const expected = answerForData(datas[i]!, entry, algorithm);
    if (!expected.equals(answers[i]!)) out.push(i);
  });
  return out;
}
