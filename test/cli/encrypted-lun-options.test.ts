/** `encrypt` on a LUN: the flag and config forms, and the refusal to replicate an encrypted LUN. */
import { describe, expect, it } from 'vitest';
import { buildServeSettings, parseLun } from '../../src/cli/serve-options.js';
import { UsageError } from '../../src/util/usage-error.js';
import { configWithLuns } from './config-with-luns.js';

describe('an encrypted LUN', () => {
  it('--lun PATH,encrypt sets it; a value is refused', () => {
    expect(parseLun('/x.img,size=1G,encrypt')).toMatchObject({ path: '/x.img', encrypt: true });
    expect(parseLun('/x.img')).not.toHaveProperty('encrypt');
    expect(() => parseLun('/x.img,encrypt=yes')).toThrow(/unknown or malformed option "encrypt=yes".*encrypt,/);
  });

  it('"encrypt": true in the config file; anything but a boolean is one line', () => {
    const config = (lun: unknown) => buildServeSettings({ config: configWithLuns([lun]) });
    expect(config({ path: '/x.img', encrypt: true }).targets[0]!.luns[0]).toMatchObject({ encrypt: true });
    expect(() => config({ path: '/x.img', encrypt: 'yes' })).toThrow(/luns\[0\]\.encrypt must be true or false/);
  });

  it('cannot be replicated (primary or backup): one line', () => {
    const err = (() => {
      try {
        buildServeSettings({ role: 'primary', lun: ['/x.img,size=1G,encrypt'], replica: 'iscsi://127.0.0.1:3261/iqn.2026-11.io.tandem:b/0' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('LUN /x.img: an encrypted LUN cannot be replicated (its challenge digests are not offered)');
    expect(() => buildServeSettings({ role: 'backup', lun: ['/x.img,size=1G,encrypt'] })).toThrow(/an encrypted LUN cannot be replicated/);
  });
});
