/**
 * A flag given without its value is a usage error (one line, exit 2), never "not set": a
 * bare `--chap` used to start a target open to anyone, a bare `--config` one without its
 * file. And a LUN path that does not exist, given no size to create it, is one line saying
 * so (exit 1), leaving nothing behind. The built CLI, as a user runs it.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tandem-missing-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('tandem serve with a flag missing its value', () => {
  // Each with a working target otherwise (an ephemeral port), so a flag taken as "not set" would start serving and time out.
  for (const flag of ['--chap', '--mutual-chap', '--config', '--allow', '--listen', '--lun', '--advertise', '--replicator-iqn']) {
    it(`${flag} at the end of the line`, async () => {
      const lun = join(dir, 'a.img');
      const { code, stderr } = await tandem('serve', '--listen', '127.0.0.1:0', '--lun', `${lun},size=1M`, flag);
      expect(stderr).toBe(`tandem: ${flag} needs a value\n`);
      expect(code).toBe(2);
      expect(existsSync(lun)).toBe(false);
    });
  }

  it('before another flag', async () => {
    const { code, stderr } = await tandem('serve', '--chap', '--listen', '127.0.0.1:0', '--lun', `${join(dir, 'a.img')},size=1M`);
    expect([code, stderr]).toEqual([2, 'tandem: --chap needs a value\n']);
  });
});

describe('tandem serve with a LUN file that does not exist and no size', () => {
  it('says how to create one and leaves nothing behind', async () => {
    const lun = join(dir, 'sub', 'b.img');
    const { code, stderr } = await tandem('serve', '--listen', '127.0.0.1:0', '--lun', lun);
    expect(stderr).toBe(`tandem: ${lun}: no such file (give size=SIZE to create a sparse LUN there)\n`);
    expect(code).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });
});
