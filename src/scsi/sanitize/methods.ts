/**
 * The sanitize methods Tandem carries out on a whole LU (SBC-3 §4.11): OVERWRITE writes the
 * pattern over every block, pass after pass, each pass made durable; BLOCK ERASE deallocates
 * every block, which then reads as zeroes (as after UNMAP; we report LBPRZ=1); CRYPTO ERASE
 * (an encrypted LU only) replaces the media key, after which what was written reads as
 * noise (reads succeed: WACEREQ 01b) and holes still read as zeroes.
 */
import type { BlockDevice } from '../../block/device.js';
import { DISCARD_ALIGN_BYTES } from '../write-same.js';
import { passIsInverted } from './overwrite-parameters.js';
import { Pacer, type Clock } from './pacer.js';

export type SanitizeMethod =
  | { kind: 'overwrite'; invert: boolean; count: number; pattern: Buffer }
  | { kind: 'block-erase' }
  | { kind: 'crypto-erase' };

/** Largest write one step issues; memory stays bounded whatever the LU size. */
export const SANITIZE_CHUNK_BYTES = 1024 * 1024;

export interface MethodContext {
  device: BlockDevice;
  blockSize: number;
  /** Write rate cap in bytes per second; undefined: as fast as the device goes. */
  bytesPerSecond?: number;
  /** Fraction of the operation done, 0..1, after each step. */
  progress(fraction: number): void;
  /** Asked between steps: true ends the method early with SanitizeHalted. */
  stopping(): boolean;
  clock?: Clock;
  /** An encrypted LU's key (CRYPTO ERASE). */
  mediaKey?: { rotate(): Promise<void> };
}

/** The method stopped because the target is shutting down; it resumes at the next start. */
export class SanitizeHalted extends Error {
  constructor() {
    super('sanitize halted by shutdown');
    this.name = 'SanitizeHalted';
  }
}

export async function runSanitizeMethod(method: SanitizeMethod, ctx: MethodContext): Promise<void> {
  if (method.kind === 'overwrite') await overwrite(method, ctx);
  else if (method.kind === 'crypto-erase') await cryptoErase(ctx);
  else await blockErase(ctx);
  await ctx.device.flush();
  ctx.progress(1);
}

/** One chunk of logical blocks, each starting with the first byte of the pattern. */
export function patternChunk(pattern: Buffer, blockSize: number, bytes: number): Buffer {
  const block = Buffer.alloc(blockSize).fill(pattern);
  return Buffer.alloc(bytes).fill(block);
}

async function overwrite(m: Extract<SanitizeMethod, { kind: 'overwrite' }>, ctx: MethodContext): Promise<void> {
  const size = ctx.device.size;
  const chunkBytes = Math.min(size, Math.max(ctx.blockSize, Math.floor(SANITIZE_CHUNK_BYTES / ctx.blockSize) * ctx.blockSize));
  const plain = patternChunk(m.pattern, ctx.blockSize, chunkBytes);
  const inverted = Buffer.from(plain.map((b) => ~b & 0xff));
  const pacer = new Pacer(ctx.bytesPerSecond, ctx.clock);
  const total = size * m.count;
  let done = 0;
  for (let pass = 0; pass < m.count; pass++) {
    const buf = passIsInverted(m, pass) ? inverted : plain;
    for (let offset = 0; offset < size; offset += chunkBytes) {
      if (ctx.stopping()) throw new SanitizeHalted();
      const n = Math.min(chunkBytes, size - offset);
      await ctx.device.write(n === chunkBytes ? buf : buf.subarray(0, n), offset);
      done += n;
      ctx.progress(done / total);
      await pacer.account(n);
    }
    // Each pass reaches the medium before the next one starts (or the operation completes).
    await ctx.device.flush();
  }
}

async function blockErase(ctx: MethodContext): Promise<void> {
  if (ctx.stopping()) throw new SanitizeHalted();
  const size = ctx.device.size;
  // Discard works in whole 4 KiB units; a tail below one is zeroed by a write.
  const aligned = Math.floor(size / DISCARD_ALIGN_BYTES) * DISCARD_ALIGN_BYTES;
  if (aligned > 0) await ctx.device.discard(0, aligned);
  if (aligned < size) await ctx.device.write(Buffer.alloc(size - aligned), aligned);
}

async function cryptoErase(ctx: MethodContext): Promise<void> {
  if (ctx.stopping()) throw new SanitizeHalted();
  // Only offered on an LU with a key; a record resumed on one without it cannot complete.
  if (!ctx.mediaKey) throw new Error('CRYPTO ERASE on an LU without a media key');
  // Writes already acknowledged reach the store under the old key before it goes.
  await ctx.device.flush();
  await ctx.mediaKey.rotate();
}
