/**
 * Every damaged state file a start reads is one line naming the file and what to do
 * (replication.json, image.json, replication-settings.json, exposed-points.json), journal.head
 * included: not JSON's own "Expected property name or '}' in JSON at position 1", nor "Cannot
 * read properties of null", which name neither the file nor a remedy.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JOURNAL_HEAD_FILE, StagingJournal } from '../../src/replication/staging-journal.js';
import { tandem } from '../support/built-cli.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('a damaged journal.head is named in the error', () => {
  for (const text of ['{bad', 'null', '[]', '{"headPos":-1}']) {
    it(`journal.head = ${text}`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'tandem-journal-'));
      writeFileSync(join(dir, JOURNAL_HEAD_FILE), text);
      await expect(StagingJournal.open({ dir, capacity: 1024 * 1024 })).rejects.toThrow(new RegExp(`${join(dir, JOURNAL_HEAD_FILE)}: `));
    });
  }

  it('tandem serve --role backup: one line naming the file and the remedy, exit 1', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-journal-serve-'));
    const image = join(dir, 'b.img');
    mkdirSync(`${image}.tandem`);
    writeFileSync(join(`${image}.tandem`, JOURNAL_HEAD_FILE), '{bad');
    const { code, stderr } = await tandem('serve', '--role', 'backup', '--lun', `${image},size=1M`, '--listen', '127.0.0.1:0', '--control', join(dir, 'c.sock'), '--log-level', 'silent');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`${image}.tandem/journal.head: not valid JSON; restore it, or remove ${image}.tandem`);
    expect(code).toBe(1);
  }, 20_000);
});
