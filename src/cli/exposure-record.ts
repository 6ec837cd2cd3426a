/**
 * The points a replicated LUN serves as read-only LUNs (`tandem point expose`), kept in
 * its metadata directory so a restarted server serves them again at the same LUN numbers
 * (and keeps them pinned against retention): `<image>.tandem/exposed-points.json`,
 * `{"exposed": [{"id": 3, "lun": 1}]}`, replaced atomically at every expose and unexpose.
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../block/atomic-file.js';

export const EXPOSURES_FILE = 'exposed-points.json';

export interface ExposureEntry {
  /** The point. */
  id: number;
  /** The LUN number serving it. */
  lun: number;
}

/** The file is not a record this build wrote: one line naming it (the server does not start). */
export class ExposureRecordError extends Error {
  constructor(path: string, why: string) {
    super(`${path}: ${why} (fix or delete the file; it lists the points exposed with tandem point expose)`);
    this.name = 'ExposureRecordError';
  }
}

const isLun = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= 16383;
const isId = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;

export async function loadExposures(metaDir: string): Promise<ExposureEntry[]> {
  const path = join(metaDir, EXPOSURES_FILE);
  const bytes = await readFileIfExists(path);
  if (bytes === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ExposureRecordError(path, 'not valid JSON');
  }
  const list = (json as { exposed?: unknown } | null)?.exposed;
  if (!Array.isArray(list)) throw new ExposureRecordError(path, 'expected {"exposed": [...]}');
  return list.map((e: unknown, i) => {
    const { id, lun } = (e ?? {}) as { id?: unknown; lun?: unknown };
    if (!isId(id) || !isLun(lun)) throw new ExposureRecordError(path, `entry ${i} needs a point "id" (a positive integer) and a "lun" (0-16383)`);
    return { id, lun };
  });
}

/** Records exactly `entries` (atomic replace: a crash leaves the old list or the new one). */
export async function saveExposures(metaDir: string, entries: readonly ExposureEntry[]): Promise<void> {
  await writeFileAtomic(join(metaDir, EXPOSURES_FILE), `${JSON.stringify({ exposed: entries.map(({ id, lun }) => ({ id, lun })) })}\n`);
}
