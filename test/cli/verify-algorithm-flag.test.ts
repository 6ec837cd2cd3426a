/** The built CLI's `--algorithm`: its choices, where it applies, and (on a build without XXH3-128) the one-line refusal. */
import { describe, expect, it } from 'vitest';
import { HAS_XXH3 } from '../native/xxh3-build.js';
import { tandem } from '../support/built-cli.js';

const UNREACHABLE = 'iscsi://127.0.0.1:1/iqn.2026-11.io.tandem:none/0';

describe('tandem verify --algorithm', () => {
  it('accepts only sha256 and xxh3 (exit 2)', async () => {
    const r = await tandem('verify', '--source', 'a.img', '--replica', UNREACHABLE, '--algorithm', 'md5');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sha256.*xxh3/);
  });

  it('needs --source and --replica (exit 2)', async () => {
    const r = await tandem('verify', '--algorithm', 'sha256');
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'tandem: --algorithm needs --source and --replica (the running primary picks the fastest its replica offers)\n' });
  });

  it.runIf(!HAS_XXH3)('xxh3 on a build without it: one line, exit 2, no connection attempted', async () => {
    const r = await tandem('verify', '--source', 'a.img', '--replica', UNREACHABLE, '--algorithm', 'xxh3');
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'tandem: --algorithm xxh3: this build of tandem lacks it (its addon was built without libxxhash-dev)\n' });
  });
});
