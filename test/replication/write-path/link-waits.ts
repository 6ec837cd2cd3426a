/** Waiting in write-path tests for what the shipper does next, bounded (a test that never sees it fails). */
import { expect } from 'vitest';
import type { Harness } from '../device-harness.js';

export async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !what(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(what()).toBe(true);
}

const writesAt = (lines: readonly string[], offset: number): boolean =>
  lines.some((t) => (t.startsWith('write ') || t.startsWith('scattered ')) && t.split(/[ ,]/).includes(String(offset)));

/** Whether the backup took a write (alone or in a scattered one) at `offset`. */
export const wrote = (h: Harness, offset: number): boolean => writesAt(h.link.trace, offset);

/** Whether a write at `offset` was handed to the link, answered or not. */
export const issuedWrite = (h: Harness, offset: number): boolean => writesAt(h.link.sent, offset);
