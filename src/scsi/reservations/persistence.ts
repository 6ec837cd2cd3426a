import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeFileDurably, writeFileDurably } from '../durable-file.js';
import { isAllRegistrants, isValidPrType } from './pr-types.js';

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

/**
 * Saved state that cannot be read back. Not "nothing persisted": serving the LUN on would drop
 * the hosts' registrations (and a reservation) that APTPL promised them across a restart.
 */
export class PrStateFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}; restore it, or remove it to serve the LUN with no persistent reservations`);
    this.name = 'PrStateFileError';
  }
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function isSavedRegistration(v: unknown): v is SavedRegistration {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<Record<keyof SavedRegistration, unknown>>;
  return (
    typeof r.initiatorName === 'string' &&
    typeof r.isid === 'string' &&
    typeof r.targetName === 'string' &&
    isCount(r.tpgt) &&
    isCount(r.relativePortId) &&
    typeof r.key === 'string' &&
    /^[0-9a-fA-F]{1,16}$/.test(r.key)
  );
}

/** What is wrong with the state's shape, or undefined: restore would skip a bad entry silently. */
function shapeProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a saved reservation state (a JSON object)';
  const s = v as Partial<Record<keyof SavedState, unknown>>;
  if (s.version !== 1) return `version ${JSON.stringify(s.version)} is not 1`;
  if (!isCount(s.generation)) return 'generation missing or invalid';
  if (!Array.isArray(s.registrations)) return 'registrations missing (a list)';
  const bad = s.registrations.findIndex((r) => !isSavedRegistration(r));
  if (bad >= 0) return `registration ${bad} is invalid`;
  const res = s.reservation;
  if (res === null) return undefined;
  if (typeof res !== 'object' || res === undefined || !isValidPrType((res as { type?: unknown }).type as number)) return 'reservation invalid (null, or a type and holder)';
  const { type, holder } = res as { type: number; holder?: unknown };
  if (holder !== null && !(isCount(holder) && holder < s.registrations.length)) return 'reservation holder is not one of the registrations';
  // Restore would drop a holderless reservation of a single-holder type without a word.
  if ((holder === null) !== isAllRegistrants(type)) return holder === null ? `reservation of type ${type} has no holder` : 'an all-registrants reservation names a holder';
  return undefined;
}

/**
 * Read saved state: a missing file means "nothing persisted"; one that cannot be read or is
 * damaged (a torn write, an edit) is a PrStateFileError naming it.
 */
export function loadPrState(path: string): SavedState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // No file there (ENOTDIR: a path component is a file, so none can be either).
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new PrStateFileError(path, `cannot be read (${code ?? String(e)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PrStateFileError(path, 'not valid JSON');
  }
  const problem = shapeProblem(parsed);
  if (problem !== undefined) throw new PrStateFileError(path, problem);
  return parsed as SavedState;
}

/** Replace the file atomically (temporary, fsync, rename, fsync of the directory). */
export async function savePrState(path: string, state: SavedState): Promise<void> {
  await writeFileDurably(path, JSON.stringify(state));
}

export async function removePrState(path: string): Promise<void> {
  await removeFileDurably(path);
}
