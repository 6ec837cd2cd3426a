/**
 * The exposed-points record (exposed-points.json) for any list: what is saved loads back in
 * its order; any file content loads as entries of a positive point id and a LUN of 0-16383,
 * or is one ExposureRecordError line naming the file — never another exception.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EXPOSURES_FILE, ExposureRecordError, loadExposures, saveExposures } from '../../src/cli/exposure-record.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-exposures-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = fc.record({ id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), lun: fc.integer({ min: 0, max: 16383 }) });

describe('the exposed-points record', () => {
  it('loads back every list saved, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 8 }), async (entries) => {
        await saveExposures(dir, entries);
        expect(await loadExposures(dir)).toEqual(entries);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses an entry whose id is not a positive integer or whose LUN is outside 0-16383, wherever it stands', async () => {
    const badId = fc.constantFrom<unknown>(0, -1, 1.5, '1', null);
    const badLun = fc.constantFrom<unknown>(-1, 16384, 2.5, '0', null);
    const bad = fc.oneof(fc.record({ id: badId, lun: fc.integer({ min: 0, max: 16383 }) }), fc.record({ id: fc.integer({ min: 1, max: 100 }), lun: badLun }));
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 4 }), bad, fc.nat(), async (good, wrong, at) => {
        const exposed: unknown[] = [...good];
        exposed.splice(at % (good.length + 1), 0, wrong);
        writeFileSync(join(dir, EXPOSURES_FILE), JSON.stringify({ exposed }));
        await expect(loadExposures(dir)).rejects.toThrow(ExposureRecordError);
      }),
    );
  });

  it('any content: valid entries or one line naming the file', async () => {
    const loose = fc.record({ id: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double(), fc.string({ maxLength: 3 })), lun: fc.oneof(fc.integer({ min: -1, max: 16385 }), fc.constant(null)) });
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.json({ maxDepth: 3 }), fc.array(loose, { maxLength: 4 }).map((exposed) => JSON.stringify({ exposed })));
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        writeFileSync(join(dir, EXPOSURES_FILE), t);
        try {
          for (const e of await loadExposures(dir)) expect(Number.isSafeInteger(e.id) && e.id > 0 && Number.isSafeInteger(e.lun) && e.lun >= 0 && e.lun <= 16383).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(ExposureRecordError);
          expect((e as Error).message).toContain(join(dir, EXPOSURES_FILE));
          expect((e as Error).message).not.toContain('\n');
        }
      }),
    );
  });
});
