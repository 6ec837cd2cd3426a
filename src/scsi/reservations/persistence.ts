import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeFileDurably, writeFileDurably } from '../durable-file.js';

/** One registration as saved for APTPL (SPC-4 §5.13.5): enough to rebuild the I_T nexus. */
export interface SavedRegistration {
  initiatorName: string;
  isid: string;
  targetName: string;
  tpgt: number;
  relativePortId: number;
  /** Reservation key, 16 hex digits (JSON has no 64-bit integers). */
  key: string;
}

export interface SavedState {
  version: 1;
  generation: number;
  registrations: SavedRegistration[];
  /** `holder` indexes `registrations`; null for the all-registrants types. */
  reservation: { type: number; holder: number | null } | null;
}

export function prStatePath(metaDir: string, lun: number): string {
  return join(metaDir, `lun-${lun}-persistent-reservations.json`);
}

function isSavedState(v: unknown): v is SavedState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<SavedState>;
  return s.version === 1 && typeof s.generation === 'number' && Array.isArray(s.registrations);
}

/** Read saved state; a missing or unreadable file means "nothing persisted". */
export function loadPrState(path: string): SavedState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return isSavedState(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Replace the file atomically (temporary, fsync, rename, fsync of the directory). */
export async function savePrState(path: string, state: SavedState): Promise<void> {
  await writeFileDurably(path, JSON.stringify(state));
}

export async function removePrState(path: string): Promise<void> {
  await removeFileDurably(path);
}
