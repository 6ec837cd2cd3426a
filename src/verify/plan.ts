/**
 * Splits a volume into fixed-size chunks (the last one may be short) and groups chunk
 * indices into challenge lists. Pure arithmetic; LBAs are numbers, which stay exact up to
 * 2^53 blocks (4 EiB of 512-byte blocks).
 */

export interface Extent {
  lba: number;
  blocks: number;
}

export interface VolumePlan {
  blockSize: number;
  totalBlocks: number;
  chunkBlocks: number;
  chunkCount: number;
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/** `maxChunkBlocks`: the responder's MAXIMUM EXTENT LENGTH. */
export function planVolume(totalBlocks: number, blockSize: number, chunkBytes: number, maxChunkBlocks: number): VolumePlan {
  if (!Number.isSafeInteger(totalBlocks) || totalBlocks <= 0) throw new PlanError(`volume of ${totalBlocks} blocks cannot be verified`);
  if (!Number.isInteger(blockSize) || blockSize <= 0) throw new PlanError(`invalid block size ${blockSize}`);
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0 || chunkBytes % blockSize !== 0) {
    throw new PlanError(`chunk size ${chunkBytes} is not a multiple of the ${blockSize}-byte block`);
  }
  const chunkBlocks = chunkBytes / blockSize;
  if (chunkBlocks > maxChunkBlocks) {
    throw new PlanError(`chunk size ${chunkBytes} exceeds the target's maximum extent of ${maxChunkBlocks * blockSize} bytes`);
  }
  return { blockSize, totalBlocks, chunkBlocks, chunkCount: Math.ceil(totalBlocks / chunkBlocks) };
}

export function chunkExtent(plan: VolumePlan, index: number): Extent {
  const lba = index * plan.chunkBlocks;
  return { lba, blocks: Math.min(plan.chunkBlocks, plan.totalBlocks - lba) };
}

/** A run of consecutive chunks sent as one challenge list. */
export interface Batch {
  firstChunk: number;
  chunkCount: number;
}

/**
 * Entries per list: enough lists that `depth` of them keep the responder's hashing
 * threads busy with work left to queue, never above its per-list limit.
 */
export function entriesPerList(chunkCount: number, depth: number, maxEntries: number): number {
  const spread = Math.ceil(chunkCount / Math.max(1, depth * 4));
  return Math.max(1, Math.min(maxEntries, Math.max(16, spread)));
}

export function planBatches(chunkCount: number, perList: number): Batch[] {
  if (!Number.isInteger(perList) || perList < 1) throw new PlanError(`invalid list size ${perList}`);
  const batches: Batch[] = [];
  for (let first = 0; first < chunkCount; first += perList) {
    batches.push({ firstChunk: first, chunkCount: Math.min(perList, chunkCount - first) });
  }
  return batches;
}

/** Sorted chunk indices → extents, adjacent chunks merged. */
export function mergeChunks(plan: VolumePlan, sortedChunks: readonly number[]): Extent[] {
  const out: Extent[] = [];
  for (const index of sortedChunks) {
    const e = chunkExtent(plan, index);
    const last = out[out.length - 1];
    if (last && last.lba + last.blocks === e.lba) last.blocks += e.blocks;
    else out.push(e);
  }
  return out;
}

/** Splits extents into pieces of at most `maxBlocks` (one repair I/O each). */
export function splitExtents(extents: readonly Extent[], maxBlocks: number): Extent[] {
  const out: Extent[] = [];
  for (const e of extents) {
    for (let done = 0; done < e.blocks; done += maxBlocks) out.push({ lba: e.lba + done, blocks: Math.min(maxBlocks, e.blocks - done) });
  }
  return out;
}
