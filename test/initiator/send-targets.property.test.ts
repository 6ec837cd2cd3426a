import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SendTargetsFormatError, parseSendTargets } from '../../src/initiator/send-targets.js';
import { encodeTextKeys } from '../../src/iscsi/text-keys.js';

describe('SendTargets response parsing', () => {
  it('groups addresses under their target name', () => {
    const text = encodeTextKeys([
      { key: 'TargetName', value: 'iqn.2024-01.x:a' },
      { key: 'TargetAddress', value: '10.0.0.1:3260,1' },
      { key: 'TargetAddress', value: '[fe80::1]:3261,2' },
      { key: 'TargetName', value: 'iqn.2024-01.x:b' },
      { key: 'TargetAddress', value: 'host.example' },
    ]);
    expect(parseSendTargets(text)).toEqual([
      {
        iqn: 'iqn.2024-01.x:a',
        portals: [
          { host: '10.0.0.1', port: 3260, portalGroupTag: 1 },
          { host: 'fe80::1', port: 3261, portalGroupTag: 2 },
        ],
      },
      { iqn: 'iqn.2024-01.x:b', portals: [{ host: 'host.example', port: 3260 }] },
    ]);
  });

  it('round-trips generated target lists', () => {
    const portal = fc.record({ host: fc.ipV4(), port: fc.integer({ min: 1, max: 65535 }), portalGroupTag: fc.integer({ min: 0, max: 65535 }) });
    const target = fc.record({ iqn: fc.stringMatching(/^[a-z0-9:.-]{1,30}$/).map((s) => `iqn.2024-01.x:${s}`), portals: fc.array(portal, { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(target, { maxLength: 5 }), (targets) => {
        const pairs = targets.flatMap((t) => [
          { key: 'TargetName', value: t.iqn },
          ...t.portals.map((p) => ({ key: 'TargetAddress', value: `${p.host}:${p.port},${p.portalGroupTag}` })),
        ]);
        expect(parseSendTargets(encodeTextKeys(pairs))).toEqual(targets);
      }),
    );
  });

  it('throws only SendTargetsFormatError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          parseSendTargets(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(SendTargetsFormatError);
        }
      }),
    );
  });
});
