/**
 * A serve configuration that conflicts with itself (the same portal twice, --metrics on an
 * iSCSI portal's port, the same LUN image twice) is a bad configuration: one line, exit 2
 * (README: "Bad flags or a bad config file print one line naming the problem"), not a start
 * that fails on EADDRINUSE or "is in use ... (a second tandem serve?)", exit 1.
 */
import { describe, expect, it } from 'vitest';
import { buildServeSettings } from '../../src/cli/serve-options.js';
import { UsageError } from '../../src/util/usage-error.js';

const LUN = '/tmp/tandem-conflict-a.img,size=1M';
const refusal = (flags: Parameters<typeof buildServeSettings>[0]): string => {
  try {
    buildServeSettings(flags);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  return 'accepted';
};

describe('a configuration that conflicts with itself is a usage error', () => {
  it('the same portal twice', () => {
    expect(refusal({ listen: ['127.0.0.1:14000', '127.0.0.1:14000'], lun: [LUN] })).toBe('--listen: 127.0.0.1:14000 is given twice');
  });
  it('a wildcard portal and another on its port', () => {
    expect(refusal({ listen: ['0.0.0.0:14000', '127.0.0.1:14000'], lun: [LUN] })).toMatch(/take the same port/);
    expect(refusal({ listen: ['[::]:14000', '127.0.0.1:14000'], lun: [LUN] })).toMatch(/take the same port/);
  });
  it('--metrics on an iSCSI portal', () => {
    expect(refusal({ listen: ['127.0.0.1:14001'], metrics: '127.0.0.1:14001', lun: [LUN] })).toMatch(/^--metrics: 127\.0\.0\.1:14001 takes the port of the iSCSI portal/);
  });
  it('the same LUN file twice, however spelled', () => {
    expect(refusal({ listen: ['127.0.0.1:14002'], lun: [LUN, '/tmp/../tmp/tandem-conflict-a.img,size=1M'] })).toMatch(/the same image is served twice/);
  });
});

describe('what does not conflict is accepted', () => {
  it('port 0 twice (a fresh port each), distinct ports, an IPv4 wildcard beside IPv6 loopback', () => {
    expect(refusal({ listen: ['127.0.0.1:0', '127.0.0.1:0'], lun: [LUN] })).toBe('accepted');
    expect(refusal({ listen: ['127.0.0.1:14003'], metrics: '127.0.0.1:14004', lun: [LUN] })).toBe('accepted');
    expect(refusal({ listen: ['0.0.0.0:14005', '[::1]:14005'], lun: [LUN] })).toBe('accepted');
  });
  it('the same image twice read-only', () => {
    expect(refusal({ lun: ['/tmp/tandem-conflict-a.img,readonly', '/tmp/tandem-conflict-a.img,readonly'] })).toBe('accepted');
  });
});
