/**
 * `tandem verify --source/--replica` refuses --lun and --target as it refuses --control: all
 * three name the running primary's LUNs and apply only without --source/--replica. Ignored,
 * `--lun 1` would verify the URL's LUN 0 and report on it as if LUN 1 had been asked for.
 */
import { describe, expect, it } from 'vitest';
import { tandem } from '../support/built-cli.js';

const FORM = ['verify', '--source', '/nonexistent/tandem-test/a.img', '--replica', 'iscsi://127.0.0.1:1/iqn.2026-11.io.tandem:disk0/0'];

describe('verify --source/--replica with a control-form-only flag', () => {
  for (const extra of [['--lun', '1'], ['--lun', '99999'], ['--target', 'iqn.2026-11.io.tandem:disk0']]) {
    it(`${extra.join(' ')}: one line, exit 2`, async () => {
      const { code, stdout, stderr } = await tandem(...FORM, ...extra);
      expect(stdout).toBe('');
      expect(stderr).toMatch(new RegExp(`^tandem: ${extra[0]} only applies without --source/--replica`));
      expect(code).toBe(2);
    });
  }
});
