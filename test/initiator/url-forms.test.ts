import { describe, expect, it } from 'vitest';
import { IscsiUrlError, parseIscsiPortalUrl, parseIscsiUrl } from '../../src/initiator/url.js';

function code(text: string): string | undefined {
  try {
    parseIscsiUrl(text);
    return undefined;
  } catch (e) {
    return e instanceof IscsiUrlError ? e.code : 'other';
  }
}

describe('iSCSI URL forms', () => {
  it('takes a plain URL with the default port', () => {
    expect(parseIscsiUrl('iscsi://10.0.0.1/iqn.2024-01.x:disk/3')).toEqual({ host: '10.0.0.1', port: 3260, targetName: 'iqn.2024-01.x:disk', lun: 3 });
  });

  it("accepts libiscsi's user%secret form without decoding", () => {
    expect(parseIscsiUrl('iscsi://alice%s3cr3t@host:3261/iqn.2024-01.x:d/0')).toMatchObject({ user: 'alice', secret: 's3cr3t', port: 3261 });
  });

  it('percent-decodes the user:secret form and the target name', () => {
    expect(parseIscsiUrl('iscsi://al%40ce:p%3Ass@host/iqn.2024-01.x%3Ad/1')).toMatchObject({
      user: 'al@ce',
      secret: 'p:ss',
      targetName: 'iqn.2024-01.x:d',
    });
  });

  it('takes IPv6 in brackets, with and without port', () => {
    expect(parseIscsiUrl('iscsi://[::1]:3262/iqn.2024-01.x:d/0')).toMatchObject({ host: '::1', port: 3262 });
    expect(parseIscsiUrl('iscsi://[fe80::1%eth0]/iqn.2024-01.x:d/0')).toMatchObject({ host: 'fe80::1%eth0', port: 3260 });
  });

  it('names the faulty part', () => {
    expect(code('http://h/iqn.2024-01.x:d/0')).toBe('scheme');
    expect(code('iscsi://h:0/iqn.2024-01.x:d/0')).toBe('port');
    expect(code('iscsi://h:70000/iqn.2024-01.x:d/0')).toBe('port');
    expect(code('iscsi://h:x/iqn.2024-01.x:d/0')).toBe('port');
    expect(code('iscsi://::1/iqn.2024-01.x:d/0')).toBe('host');
    expect(code('iscsi://[::1/iqn.2024-01.x:d/0')).toBe('host');
    expect(code('iscsi:///iqn.2024-01.x:d/0')).toBe('host');
    expect(code('iscsi://h/iqn.2024-01.x:d')).toBe('lun');
    expect(code('iscsi://h/iqn.2024-01.x:d/16384')).toBe('lun');
    expect(code('iscsi://h/iqn.2024-01.x:d/-1')).toBe('lun');
    expect(code('iscsi://h//0')).toBe('target');
    expect(code('iscsi://h/disk0/0')).toBe('target');
    expect(code('iscsi://h/iqn.2024-01.x:d/0/extra')).toBe('path');
    expect(code('iscsi://h/iqn.2024-01.x:d/0?x=1')).toBe('path');
    expect(code('iscsi://:pw@h/iqn.2024-01.x:d/0')).toBe('userinfo');
    expect(parseIscsiUrl('iscsi://u:@h/iqn.2024-01.x:d/0')).not.toHaveProperty('secret');
    expect(code('iscsi://u:%zz@h/iqn.2024-01.x:d/0')).toBe('encoding');
  });

  it('parses portal URLs for discovery', () => {
    expect(parseIscsiPortalUrl('iscsi://u:p@h:3300/')).toEqual({ user: 'u', secret: 'p', host: 'h', port: 3300 });
    expect(() => parseIscsiPortalUrl('iscsi://h/iqn.2024-01.x:d/0')).toThrow(IscsiUrlError);
  });
});
