/** Opens source and replica from their command-line forms, runs the engine, closes both. */
import type { BlockDevice } from '../block/device.js';
import { DIGEST_ALGORITHMS } from '../block/digest.js';
import { algorithmNamed } from '../replica-protocol/index.js';
import { UsageError } from '../util/usage-error.js';
import { parseSize } from '../util/parse-size.js';
import { openRemoteLun, parseUrlArgument } from './connect.js';
import { verifyVolumes, type ProgressSnapshot, type VerifyReport } from './engine.js';
import { LocalReference } from './local-reference.js';
import type { LivePair } from './live-recheck.js';
import type { AllocationQuery } from './allocation.js';
import type { Reference } from './reference.js';

export interface RunVerifyOptions {
  /** A local file/block device path, or an iscsi:// URL. */
  source: string;
  /** An iscsi:// URL. */
  replica: string;
  /** Bytes, or a size string ("64KiB"). */
  chunk?: number | string;
  repair?: boolean;
  depth?: number;
  /** 'sha256' or 'xxh3' forces that challenge algorithm; default: the fastest both ends support. */
  algorithm?: string;
  onProgress?: (p: ProgressSnapshot) => void;
  /**
   * Opens the source as a store (read-only) instead of the file at `source`, which then only
   * names it: a running primary's RBD image is not a file.
   */
  openSource?: () => Promise<BlockDevice>;
  /** The source is a running primary verifying its backup (engine.ts `live`). */
  live?: LivePair;
  /** engine.ts `replicaAllocation`. */
  replicaAllocation?: AllocationQuery;
}

/** The forced algorithm's code, refused before any login when unknown or not in this build. */
function forcedAlgorithm(name: string | undefined): ReturnType<typeof algorithmNamed> {
  if (name === undefined) return undefined;
  const algorithm = algorithmNamed(name);
  if (algorithm === undefined) throw new UsageError(`--algorithm: "${name}" is not one of sha256, xxh3`);
  // Checked before any login, whatever the ends are: a build without it says so in one line.
  if (!(DIGEST_ALGORITHMS as readonly string[]).includes(name)) {
    throw new UsageError(`--algorithm ${name}: this build of tandem lacks it (its addon was built without libxxhash-dev)`);
  }
  return algorithm;
}

export function isUrl(text: string): boolean {
  return /^iscsi:\/\//i.test(text);
}

export async function runVerify(options: RunVerifyOptions): Promise<VerifyReport> {
  if (options.depth !== undefined && (!Number.isInteger(options.depth) || options.depth < 1)) {
    throw new UsageError(`--depth: ${options.depth} is not a positive integer`);
  }
  const chunkBytes = typeof options.chunk === 'string' ? parseSize(options.chunk, '--chunk') : options.chunk;
  const algorithm = forcedAlgorithm(options.algorithm);
  const replicaUrl = parseUrlArgument(options.replica, '--replica');
  const sourceUrl = isUrl(options.source) ? parseUrlArgument(options.source, '--source') : undefined;
  if (!sourceUrl && options.source.trim() === '') throw new UsageError('--source: empty path');
  const replica = await openRemoteLun(replicaUrl, 'replica');
  let reference: Reference | undefined;
  try {
    if (sourceUrl) reference = await openRemoteLun(sourceUrl, 'source');
    else if (options.openSource) reference = LocalReference.over(await options.openSource(), replica.blockSize);
    else reference = await LocalReference.open(options.source, replica.blockSize);
    return await verifyVolumes({
      reference,
      replica,
      ...(chunkBytes !== undefined ? { chunkBytes } : {}),
      ...(options.repair !== undefined ? { repair: options.repair } : {}),
      ...(options.depth !== undefined ? { depth: options.depth } : {}),
      ...(algorithm !== undefined ? { algorithm } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.live ? { live: options.live } : {}),
      ...(options.replicaAllocation ? { replicaAllocation: options.replicaAllocation } : {}),
    });
  } finally {
    await Promise.allSettled([replica.close(), reference?.close()]);
  }
}
