/** Opens source and replica from their command-line forms, runs the engine, closes both. */
import { UsageError } from '../util/usage-error.js';
import { parseSize } from '../util/parse-size.js';
import { openRemoteLun, parseUrlArgument } from './connect.js';
import { verifyVolumes, type ProgressSnapshot, type VerifyReport } from './engine.js';
import { LocalReference } from './local-reference.js';
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
  onProgress?: (p: ProgressSnapshot) => void;
}

export function isUrl(text: string): boolean {
  return /^iscsi:\/\//i.test(text);
}

export async function runVerify(options: RunVerifyOptions): Promise<VerifyReport> {
  if (options.depth !== undefined && (!Number.isInteger(options.depth) || options.depth < 1)) {
    throw new UsageError(`--depth: ${options.depth} is not a positive integer`);
  }
  const chunkBytes = typeof options.chunk === 'string' ? parseSize(options.chunk, '--chunk') : options.chunk;
  const replicaUrl = parseUrlArgument(options.replica, '--replica');
  const sourceUrl = isUrl(options.source) ? parseUrlArgument(options.source, '--source') : undefined;
  if (!sourceUrl && options.source.trim() === '') throw new UsageError('--source: empty path');
  const replica = await openRemoteLun(replicaUrl, 'replica');
  let reference: Reference | undefined;
  try {
    reference = sourceUrl ? await openRemoteLun(sourceUrl, 'source') : await LocalReference.open(options.source, replica.blockSize);
    return await verifyVolumes({
      reference,
      replica,
      ...(chunkBytes !== undefined ? { chunkBytes } : {}),
      ...(options.repair !== undefined ? { repair: options.repair } : {}),
      ...(options.depth !== undefined ? { depth: options.depth } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } finally {
    await Promise.allSettled([replica.close(), reference?.close()]);
  }
}
