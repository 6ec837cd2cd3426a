/**
 * A LUN's saved persistent reservations (APTPL) that cannot be read back refuse the start, one
 * line naming the file: they were read as "nothing persisted", so a torn write or an edit
 * silently dropped the hosts' registrations and reservation across a restart. The file stays
 * as it was. A missing file is still "nothing persisted".
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PrStateFileError, loadPrState, prStatePath } from '../../src/scsi/reservations/persistence.js';
import { tandem } from '../support/built-cli.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const REGISTRATION = { initiatorName: 'iqn.1993-08.org.debian:01:host1', isid: '023d00000001', targetName: 'iqn.2026-11.io.tandem:disk0', tpgt: 1, relativePortId: 1, key: '00000000000000ab' };
const VALID = { version: 1, generation: 4, registrations: [REGISTRATION], reservation: { type: 1, holder: 0 } };

const damaged: Array<[string, string]> = [
  ['{bad', 'not valid JSON'],
  ['', 'not valid JSON'],
  ['null', 'not a saved reservation state'],
  ['[]', 'not a saved reservation state'],
  [JSON.stringify({ ...VALID, version: 2 }), 'version 2 is not 1'],
  [JSON.stringify({ ...VALID, generation: 'x' }), 'generation missing or invalid'],
  [JSON.stringify({ ...VALID, registrations: {} }), 'registrations missing'],
  [JSON.stringify({ ...VALID, registrations: [{ ...REGISTRATION, key: 'xyz' }] }), 'registration 0 is invalid'],
  [JSON.stringify({ ...VALID, reservation: { type: 99, holder: 0 } }), 'reservation invalid'],
  [JSON.stringify({ ...VALID, reservation: { type: 1, holder: 1 } }), 'reservation holder is not one of the registrations'],
];

describe('loadPrState', () => {
  for (const [text, reason] of damaged) {
    it(`refuses ${JSON.stringify(text.slice(0, 60))}: ${reason}`, () => {
      dir = mkdtempSync(join(tmpdir(), 'tandem-pr-'));
      const path = prStatePath(dir, 0);
      writeFileSync(path, text);
      expect(() => loadPrState(path)).toThrow(PrStateFileError);
      expect(() => loadPrState(path)).toThrow(`${path}: ${reason}`);
    });
  }

  it('a file it cannot read (a directory there) is refused too', () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-pr-'));
    const path = prStatePath(dir, 0);
    mkdirSync(path);
    expect(() => loadPrState(path)).toThrow(`${path}: cannot be read (EISDIR)`);
  });

  it('a missing file is nothing persisted; a sound one is read', () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-pr-'));
    const path = prStatePath(dir, 0);
    expect(loadPrState(path)).toBeUndefined();
    writeFileSync(path, JSON.stringify(VALID));
    expect(loadPrState(path)).toEqual(VALID);
  });
});

it('tandem serve with a damaged persistent-reservation file: one line naming the file, exit 1, the file kept', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-pr-serve-'));
  const image = join(dir, 'd.img');
  mkdirSync(`${image}.tandem`);
  const path = join(`${image}.tandem`, 'lun-0-persistent-reservations.json');
  writeFileSync(path, '{"version":1,"generation":4,"registrations":[{"initiatorName":"iqn.1993-08.org.debian:01:h');
  const { code, stdout, stderr } = await tandem('serve', '--lun', `${image},size=1M`, '--listen', '127.0.0.1:0', '--log-level', 'silent');
  expect(stdout).toBe('');
  expect(stderr).toBe(`tandem: ${path}: not valid JSON; restore it, or remove it to serve the LUN with no persistent reservations\n`);
  expect(code).toBe(1);
  expect(readFileSync(path, 'utf8')).toMatch(/"generation":4/);
});
