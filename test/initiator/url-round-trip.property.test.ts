import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IscsiUrlError, formatIscsiUrl, parseIscsiPortalUrl, parseIscsiUrl, type IscsiUrl } from '../../src/initiator/url.js';

const hostname = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
const ipv6 = fc.ipV6();
const iqn = fc.stringMatching(/^[a-z0-9.:-]{1,40}$/).map((s) => `iqn.2024-01.test:${s}`);
const credential = fc.string({ minLength: 1, maxLength: 20, unit: 'binary' });

const url: fc.Arbitrary<IscsiUrl> = fc.record(
  {
    user: credential,
    secret: credential,
    host: fc.oneof(hostname, ipv6),
    port: fc.integer({ min: 1, max: 65535 }),
    targetName: iqn,
    lun: fc.integer({ min: 0, max: 0x3fff }),
  },
  { requiredKeys: ['host', 'port', 'targetName', 'lun'] },
).filter((u) => u.secret === undefined || u.user !== undefined);

describe('iSCSI URL', () => {
  it('parses back what it formats', () => {
    fc.assert(
      fc.property(url, (u) => {
        const parsed = parseIscsiUrl(formatIscsiUrl(u));
        expect(parsed).toEqual(u);
      }),
    );
  });

  it('throws only IscsiUrlError on arbitrary input', () => {
    const noise = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string().map((s) => `iscsi://${s}`),
      fc.tuple(fc.string(), fc.string(), fc.string()).map(([a, b, c]) => `iscsi://${a}@${b}/${c}`),
    );
    fc.assert(
      fc.property(noise, (text) => {
        for (const parse of [parseIscsiUrl, parseIscsiPortalUrl]) {
          try {
            parse(text);
          } catch (e) {
            expect(e).toBeInstanceOf(IscsiUrlError);
          }
        }
      }),
    );
  });
});
