/**
 * RFC 7143 §9.2.1: one CHAP secret must not serve both directions — the target refuses an
 * initiator whose response equals its own (chap-authenticator.ts). A configuration giving
 * --chap and --mutual-chap the same secret could never log in, so it is a usage error
 * (one line, exit 2), from flags and from a config file alike.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { UsageError } from '../../src/util/usage-error.js';
import { testTempDir } from '../support/test-temp-dir.js';

const SECRET = 'one-secret-for-both';

describe('mutual CHAP secret', () => {
  it('equal to the CHAP secret is refused on the command line', () => {
    expect(() => buildServeSettings({ chap: `alice:${SECRET}`, mutualChap: `disk1:${SECRET}` })).toThrow(UsageError);
    expect(() => buildServeSettings({ chap: `alice:${SECRET}`, mutualChap: `disk1:${SECRET}` })).toThrow(/mutual CHAP secret must differ/);
  });

  it('equal to the CHAP secret is refused in a config file', () => {
    const path = join(testTempDir('cfg'), 'serve.json');
    writeFileSync(path, JSON.stringify({ targets: [{ iqn: 'iqn.2026-11.io.tandem:disk0', luns: ['./d.img,size=1M'], chap: `alice:${SECRET}`, mutualChap: `disk1:${SECRET}` }] }));
    expect(() => buildServeSettings({ config: path })).toThrow(/iqn\.2026-11\.io\.tandem:disk0: the mutual CHAP secret must differ/);
  });

  it('a different one is taken', () => {
    const t = buildServeSettings({ chap: `alice:${SECRET}`, mutualChap: 'disk1:another-secret-here' }).targets[0]!;
    expect(t.mutualChap).toEqual({ user: 'disk1', secret: 'another-secret-here' });
  });
});
