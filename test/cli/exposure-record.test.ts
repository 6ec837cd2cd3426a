/** The record of exposed points beside a LUN: round trip, none when absent, one line naming the file when damaged. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { EXPOSURES_FILE, ExposureRecordError, loadExposures, saveExposures } from '../../src/cli/exposure-record.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function metaDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tandem-exposures-'));
  dirs.push(d);
  return d;
}

it('reads back what was saved; no file is no exposure', async () => {
  const dir = metaDir();
  expect(await loadExposures(dir)).toEqual([]);
  await saveExposures(dir, [{ id: 3, lun: 1 }, { id: 7, lun: 4 }]);
  expect(await loadExposures(dir)).toEqual([{ id: 3, lun: 1 }, { id: 7, lun: 4 }]);
  await saveExposures(dir, []);
  expect(await loadExposures(dir)).toEqual([]);
});

it('a damaged record is one line naming the file', async () => {
  const dir = metaDir();
  for (const [text, why] of [
    ['{', /not valid JSON/],
    ['[]', /expected \{"exposed": \[\.\.\.\]\}/],
    ['{"exposed":[{"id":0,"lun":1}]}', /entry 0 needs a point "id"/],
    ['{"exposed":[{"id":2,"lun":20000}]}', /entry 0 needs .* "lun" \(0-16383\)/],
  ] as const) {
    writeFileSync(join(dir, EXPOSURES_FILE), text);
    const e = await loadExposures(dir).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ExposureRecordError);
    expect((e as Error).message).toMatch(why);
    expect((e as Error).message).toContain(join(dir, EXPOSURES_FILE));
    expect((e as Error).message).not.toContain('\n');
  }
});
