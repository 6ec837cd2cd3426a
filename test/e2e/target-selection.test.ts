import { describe, expect, it } from 'vitest';
import { tandemArgs } from './harness/tandem-target.js';
import { selectedTargetKind } from './harness/target-under-test.js';

describe('target under test', () => {
  it('is chosen by E2E_TARGET and rejects unknown names', () => {
    expect(selectedTargetKind({ E2E_TARGET: 'tandem' })).toBe('tandem');
    expect(selectedTargetKind({ E2E_TARGET: 'tgtd' })).toBe('tgtd');
    expect(() => selectedTargetKind({ E2E_TARGET: 'lio' })).toThrow(/E2E_TARGET=lio/);
  });

  it('launches tandem serve with every LUN, CHAP setting and the guest-visible address', () => {
    const args = tandemArgs(
      {
        iqn: 'iqn.x:t',
        luns: [{ path: '/d/a.img', sizeBytes: 1024 }, { path: '/d/b.img', sizeBytes: 2048, readonly: true }],
        chap: { user: 'u', secret: 's' },
        mutualChap: { user: 'm', secret: 't' },
        advertise: '10.0.2.100:3260',
        logFile: '/d/log',
      },
      4000,
    );
    expect(args.slice(1).join(' ')).toBe(
      'serve --listen 127.0.0.1:4000 --iqn iqn.x:t --lun /d/a.img,size=1024 --lun /d/b.img,size=2048,readonly ' +
        '--chap u:s --mutual-chap m:t --advertise 10.0.2.100:3260 --log-level info',
    );
  });

  it('appends a replicated node\'s own flags (role, peer, control socket) after the common ones', () => {
    const args = tandemArgs(
      {
        iqn: 'iqn.x:a',
        luns: [{ path: '/d/a.img', sizeBytes: 1024 }],
        extraArgs: ['--role', 'primary', '--peer', 'iscsi://127.0.0.1:4001/iqn.x:b/0', '--sync', '--control', '/d/a.sock'],
        logFile: '/d/log',
      },
      4000,
    );
    expect(args.slice(1).join(' ')).toBe(
      'serve --listen 127.0.0.1:4000 --iqn iqn.x:a --lun /d/a.img,size=1024 --log-level info ' +
        '--role primary --peer iscsi://127.0.0.1:4001/iqn.x:b/0 --sync --control /d/a.sock',
    );
  });
});
