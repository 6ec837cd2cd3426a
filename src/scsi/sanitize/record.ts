/**
 * A sanitize operation survives a restart (SBC-3 §4.11: it resumes after power on, and a
 * failure persists): its record lives beside the LUN from start to completion.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeFileDurably, writeFileDurably } from '../durable-file.js';
import type { SanitizeMethod } from './methods.js';

export interface SanitizeRecord {
  /** running: resume it at start; failed: the LU stays in sanitize failure mode. */
  state: 'running' | 'failed';
  ause: boolean;
  method: SanitizeMethod;
}

interface SavedRecord {
  version: 1;
  state: 'running' | 'failed';
  ause: boolean;
  method: { kind: 'overwrite'; invert: boolean; count: number; pattern: string } | { kind: 'block-erase' } | { kind: 'crypto-erase' };
}

export function sanitizeRecordPath(metaDir: string, lun: number): string {
  return join(metaDir, `lun-${lun}-sanitize.json`);
}

/**
 * The saved record; undefined when there is none. A record that cannot be read means a
 * sanitize began and its outcome is unknown: it counts as failed, restricted (AUSE=0), so
 * no data is served until a sanitize completes.
 */
export function loadSanitizeRecord(path: string): SanitizeRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return unreadable();
  }
  try {
    return fromSaved(JSON.parse(text) as unknown) ?? unreadable();
  } catch {
    return unreadable();
  }
}

export function saveSanitizeRecord(path: string, record: SanitizeRecord): Promise<void> {
  const m = record.method;
  const saved: SavedRecord = {
    version: 1,
    state: record.state,
    ause: record.ause,
    method: m.kind === 'overwrite' ? { kind: 'overwrite', invert: m.invert, count: m.count, pattern: m.pattern.toString('hex') } : m,
  };
  return writeFileDurably(path, JSON.stringify(saved));
}

export function removeSanitizeRecord(path: string): Promise<void> {
  return removeFileDurably(path);
}

function unreadable(): SanitizeRecord {
  return { state: 'failed', ause: false, method: { kind: 'block-erase' } };
}

function fromSaved(v: unknown): SanitizeRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Partial<SavedRecord>;
  if (s.version !== 1 || (s.state !== 'running' && s.state !== 'failed') || typeof s.ause !== 'boolean') return undefined;
  const m = s.method;
  if (m?.kind === 'block-erase' || m?.kind === 'crypto-erase') return { state: s.state, ause: s.ause, method: { kind: m.kind } };
  if (m?.kind === 'overwrite' && typeof m.invert === 'boolean' && Number.isInteger(m.count) && m.count >= 1 && m.count <= 31 && /^([0-9a-f]{2})+$/.test(m.pattern)) {
    return { state: s.state, ause: s.ause, method: { kind: 'overwrite', invert: m.invert, count: m.count, pattern: Buffer.from(m.pattern, 'hex') } };
  }
  return undefined;
}
