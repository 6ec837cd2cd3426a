/**
 * The sanitize record (lun-N-sanitize.json) as it survives a restart: every record saved
 * loads back as it was (state, AUSE, method with its overwrite pattern), no file is no
 * record, and a file that cannot be read as a record — torn, edited, of another version —
 * loads as a failed, restricted sanitize (AUSE=0), so no data is served until a sanitize
 * completes. Never a throw.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSanitizeRecord, saveSanitizeRecord, type SanitizeRecord } from '../../../src/scsi/sanitize/record.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-sanitize-record-'));
const file = join(dir, 'lun-0-sanitize.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAILED_RESTRICTED = { state: 'failed', ause: false, method: { kind: 'block-erase' } };

const record: fc.Arbitrary<SanitizeRecord> = fc.record({
  state: fc.constantFrom('running' as const, 'failed' as const),
  ause: fc.boolean(),
  method: fc.oneof(
    fc.constantFrom({ kind: 'block-erase' as const }, { kind: 'crypto-erase' as const }),
    fc.record({
      kind: fc.constant('overwrite' as const),
      invert: fc.boolean(),
      count: fc.integer({ min: 1, max: 31 }),
      pattern: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)),
    }),
  ),
});

describe('the sanitize record file', () => {
  it('loads every saved record back as it was', async () => {
    await fc.assert(
      fc.asyncProperty(record, async (r) => {
        await saveSanitizeRecord(file, r);
        expect(loadSanitizeRecord(file)).toEqual(r);
      }),
      { numRuns: 50 },
    );
  });

  it('no file: no record', () => {
    expect(loadSanitizeRecord(join(dir, 'none.json'))).toBeUndefined();
  });

  it('a torn or edited file loads as a failed, restricted sanitize', () => {
    const spoil = fc.constantFrom<(saved: Record<string, unknown>) => unknown>(
      (s) => ({ ...s, version: 2 }),
      (s) => ({ ...s, state: 'done' }),
      (s) => ({ ...s, ause: 'yes' }),
      (s) => ({ ...s, method: { kind: 'overwrite', invert: false, count: 0, pattern: '00' } }),
      (s) => ({ ...s, method: { kind: 'overwrite', invert: false, count: 32, pattern: '00' } }),
      (s) => ({ ...s, method: { kind: 'overwrite', invert: false, count: 1, pattern: 'abc' } }),
      (s) => ({ ...s, method: { kind: 'overwrite', invert: false, count: 1, pattern: '' } }),
      (s) => ({ ...s, method: { kind: 'erase-all' } }),
      (s) => [s],
    );
    fc.assert(
      fc.property(fc.constantFrom('running', 'failed'), fc.boolean(), spoil, fc.nat(), fc.boolean(), (state, ause, edit, cut, torn) => {
        const text = JSON.stringify({ version: 1, state, ause, method: { kind: 'crypto-erase' } });
        writeFileSync(file, torn ? text.slice(0, cut % text.length) : JSON.stringify(edit({ version: 1, state, ause, method: { kind: 'crypto-erase' } })));
        expect(loadSanitizeRecord(file)).toEqual(FAILED_RESTRICTED);
      }),
    );
  });

  it('any text: a record, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.json({ maxDepth: 3 })), (text) => {
        writeFileSync(file, text);
        const r = loadSanitizeRecord(file);
        expect(r === undefined ? 'none' : r.state).toMatch(/^(running|failed)$/);
      }),
    );
  });
});
