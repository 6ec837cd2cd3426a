/**
 * REPLICATION CONTROL (C7h) action POINT (05h): the primary marks a recovery point in the
 * replication stream; the backup takes it at exactly that position (after every change sent
 * before it, before any sent after it).
 *
 * Parameters: 0–7 POINT ID (non-zero, above every earlier one) | 8–15 TAKEN AT (ms since the
 * epoch, the primary's clock) | 16 ORIGIN (0 pass, 1 scheduled, 2 manual) | 17 LABEL LENGTH L
 * (0–64) | 18–23 reserved | 24– LABEL (UTF-8, L bytes).
 */
import { ChallengeFormatError } from './errors.js';

export type PointOrigin = 'pass' | 'scheduled' | 'manual';
export const POINT_ORIGINS: readonly PointOrigin[] = ['pass', 'scheduled', 'manual'];

export interface PointMarker {
  id: number;
  at: number;
  origin: PointOrigin;
  label?: string;
}

export const POINT_FIXED_BYTES = 24;
export const MAX_POINT_LABEL_BYTES = 64;
export const MAX_POINT_PARAMETER_BYTES = POINT_FIXED_BYTES + MAX_POINT_LABEL_BYTES;

export function encodePointParameters(p: PointMarker): Buffer {
  const label = Buffer.from(p.label ?? '', 'utf8');
  if (label.length > MAX_POINT_LABEL_BYTES) throw new RangeError(`a point label is at most ${MAX_POINT_LABEL_BYTES} bytes of UTF-8`);
  if (!Number.isSafeInteger(p.id) || p.id <= 0) throw new RangeError('a point id is a positive integer');
  if (!Number.isSafeInteger(p.at) || p.at < 0) throw new RangeError('a point time is a non-negative integer');
  const b = Buffer.alloc(POINT_FIXED_BYTES + label.length);
  b.writeBigUInt64BE(BigInt(p.id), 0);
  b.writeBigUInt64BE(BigInt(p.at), 8);
  b[16] = POINT_ORIGINS.indexOf(p.origin);
  b[17] = label.length;
  label.copy(b, POINT_FIXED_BYTES);
  return b;
}

/** Throws PointFormatError naming the byte at fault (-1: the list's length). */
export function decodePointParameters(b: Buffer): PointMarker {
  if (b.length < POINT_FIXED_BYTES) throw new PointFormatError(`POINT parameters of ${b.length} bytes (at least ${POINT_FIXED_BYTES})`, -1);
  const id = b.readBigUInt64BE(0);
  if (id === 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) throw new PointFormatError('point id must be from 1 to 2^53-1', 0);
  const at = b.readBigUInt64BE(8);
  if (at > BigInt(Number.MAX_SAFE_INTEGER)) throw new PointFormatError('point time out of range', 8);
  const origin = POINT_ORIGINS[b[16]!];
  if (!origin) throw new PointFormatError(`origin ${b[16]} (0 pass, 1 scheduled, 2 manual)`, 16);
  const length = b[17]!;
  if (length > MAX_POINT_LABEL_BYTES) throw new PointFormatError(`label of ${length} bytes (at most ${MAX_POINT_LABEL_BYTES})`, 17);
  for (let i = 18; i < POINT_FIXED_BYTES; i++) if (b[i] !== 0) throw new PointFormatError('reserved byte not zero', i);
  if (b.length !== POINT_FIXED_BYTES + length) throw new PointFormatError(`POINT parameters of ${b.length} bytes for a label of ${length}`, -1);
  const raw = b.subarray(POINT_FIXED_BYTES);
  const label = raw.toString('utf8');
  if (!Buffer.from(label, 'utf8').equals(raw)) throw new PointFormatError('label is not UTF-8', POINT_FIXED_BYTES);
  return { id: Number(id), at: Number(at), origin, ...(length > 0 ? { label } : {}) };
}

export class PointFormatError extends ChallengeFormatError {
  constructor(
    message: string,
    readonly byte: number,
  ) {
    super(message);
    this.name = 'PointFormatError';
  }
}
