/** `--lun rbd:POOL/IMAGE[,conf=PATH][,id=CLIENT][,size=SIZE][,op-timeout=SECONDS]` and its config-file forms (parsing only: no cluster). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RBD_AVAILABLE } from '../../src/block/rbd-store.js';
import { metaDirFor } from '../../src/cli/lun-store.js';
import { buildServeSettings, parseLun } from '../../src/cli/serve-options.js';
import { parseRbdSource } from '../../src/cli/rbd-lun.js';
import { UsageError } from '../../src/util/usage-error.js';
import { tandem } from '../support/built-cli.js';
import { configWithLuns } from './config-with-luns.js';

describe('--lun rbd:', () => {
  it('reads pool, image, conf, client id, size and the usual LUN options', () => {
    expect(parseLun('rbd:rbd/db,conf=/etc/ceph/site.conf,id=gateway,size=10G,blocksize=4096')).toEqual({
      path: 'rbd:rbd/db',
      rbd: { pool: 'rbd', image: 'db', conf: '/etc/ceph/site.conf', client: 'gateway' },
      size: 10 * 1024 ** 3,
      readOnly: false,
      blockSize: 4096,
    });
    expect(parseLun('rbd:p/i,id=client.x,readonly').rbd).toEqual({ pool: 'p', image: 'i', client: 'x' });
    expect(parseLun('rbd:p/i')).toEqual({ path: 'rbd:p/i', rbd: { pool: 'p', image: 'i' }, readOnly: false, blockSize: 512 });
  });

  it.each(['rbd:pool', 'rbd:/img', 'rbd:pool/', 'rbd:a/b/c', 'rbd:pool/img@snap', 'rbd:'])('rejects %s in one line', (bad) => {
    expect(() => parseLun(bad)).toThrow(UsageError);
    expect(() => parseLun(bad)).toThrow(/expected rbd:POOL\/IMAGE/);
  });

  it('names the bad option, listing the rbd ones; a file LUN does not take them', () => {
    expect(() => parseLun('rbd:p/i,conff=/x')).toThrow(/unknown or malformed option "conff=\/x".*conf=PATH, id=CLIENT, meta=DIR/);
    expect(() => parseLun('rbd:p/i,conf=')).toThrow(/"conf="/);
    expect(() => parseLun('/x.img,conf=/etc/ceph/ceph.conf')).toThrow(/unknown or malformed option "conf=/);
  });

  it('op-timeout=SECONDS: a non-negative integer, 0 included; absent leaves the store its default', () => {
    expect(parseLun('rbd:p/i,op-timeout=3').rbd).toEqual({ pool: 'p', image: 'i', opTimeout: 3 });
    expect(parseLun('rbd:p/i,op-timeout=0,id=gw').rbd).toEqual({ pool: 'p', image: 'i', opTimeout: 0, client: 'gw' });
    expect(parseLun('rbd:p/i').rbd).not.toHaveProperty('opTimeout');
  });

  it.each(['-1', '1.5', '3s', 'soon', '0x10', '99999999999'])('refuses op-timeout=%s in one line naming the LUN', (bad) => {
    expect(() => parseLun(`rbd:p/i,op-timeout=${bad}`)).toThrow(
      new UsageError(`--lun rbd:p/i: op-timeout must be a non-negative integer of seconds (0: wait for the OSDs), not "${bad}"`),
    );
  });

  it('op-timeout without a value is malformed; a file LUN does not take it', () => {
    expect(() => parseLun('rbd:p/i,op-timeout')).toThrow(/unknown or malformed option "op-timeout".*op-timeout=SECONDS/);
    expect(() => parseLun('rbd:p/i,op-timeout=')).toThrow(/unknown or malformed option "op-timeout="/);
    expect(() => parseLun('/x.img,op-timeout=5')).toThrow(/unknown or malformed option "op-timeout=5"/);
  });

  it('the built CLI: a bad op-timeout is one line on stderr and exit 2', async () => {
    expect(await tandem('serve', '--listen', '127.0.0.1:0', '--lun', 'rbd:rbd/a,op-timeout=soon')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'tandem: --lun rbd:rbd/a: op-timeout must be a non-negative integer of seconds (0: wait for the OSDs), not "soon"\n',
    });
  });

  it('keeps local metadata under ./data/rbd/POOL/, or in meta=DIR', () => {
    expect(metaDirFor(parseLun('rbd:rbd/db'))).toBe(join('data', 'rbd', 'rbd', 'db.tandem'));
    expect(metaDirFor(parseLun('rbd:rbd/db,meta=/var/lib/tandem/db'))).toBe('/var/lib/tandem/db');
    expect(metaDirFor(parseLun('/srv/a.img'))).toBe('/srv/a.img.tandem');
  });
});

describe('rbd: LUNs in the config file', () => {
  it.runIf(RBD_AVAILABLE)('takes the string form and an object with conf, id and meta', () => {
    const s = buildServeSettings({
      config: configWithLuns(['rbd:rbd/a,size=1G', { path: 'rbd:rbd/b', conf: '/c/ceph.conf', id: 'gw', meta: '/m/b', size: '2G', readOnly: true }]),
    });
    expect(s.targets[0]!.luns).toEqual([
      { path: 'rbd:rbd/a', rbd: { pool: 'rbd', image: 'a' }, size: 1024 ** 3, readOnly: false, blockSize: 512 },
      { path: 'rbd:rbd/b', rbd: { pool: 'rbd', image: 'b', conf: '/c/ceph.conf', client: 'gw' }, metaDir: '/m/b', size: 2 * 1024 ** 3, readOnly: true, blockSize: 512 },
    ]);
  });

  it.runIf(RBD_AVAILABLE)('takes opTimeout in the object form, op-timeout in the string form', () => {
    const s = buildServeSettings({ config: configWithLuns(['rbd:rbd/a,op-timeout=7', { path: 'rbd:rbd/b', opTimeout: 0 }, { path: 'rbd:rbd/c', opTimeout: 40 }]) });
    expect(s.targets[0]!.luns.map((l) => l.rbd?.opTimeout)).toEqual([7, 0, 40]);
  });

  it.each([-1, 2.5, '3', null, true])('refuses opTimeout %j in the object form', (bad) => {
    expect(() => buildServeSettings({ config: configWithLuns([{ path: 'rbd:rbd/a', opTimeout: bad }]) })).toThrow(
      new UsageError(`--config: targets[0].luns[0].opTimeout must be a non-negative integer of seconds (0: wait for the OSDs), not ${JSON.stringify(bad)}`),
    );
  });

  it('refuses rbd keys on a file LUN, bad values and bad paths', () => {
    expect(() => buildServeSettings({ config: configWithLuns([{ path: '/a.img', opTimeout: 5 }]) })).toThrow(/unknown key "opTimeout"/);
    expect(() => buildServeSettings({ config: configWithLuns([{ path: '/a.img', conf: '/c' }]) })).toThrow(/unknown key "conf"/);
    expect(() => buildServeSettings({ config: configWithLuns([{ path: 'rbd:rbd/a', id: 7 }]) })).toThrow(/luns\[0\]\.id must be a non-empty string/);
    expect(() => buildServeSettings({ config: configWithLuns([{ path: 'rbd:nopool' }]) })).toThrow(/luns\[0\]\.path: cannot read "rbd:nopool"/);
  });

  it.runIf(!RBD_AVAILABLE)('on a build without librbd: one line naming the LUN and the packages (exit 2)', () => {
    expect(() => buildServeSettings({ lun: ['rbd:rbd/a'] })).toThrow(
      new UsageError('--lun rbd:rbd/a: this build has no Ceph RBD support (install librbd-dev librados-dev and rebuild)'),
    );
  });
});

describe('tandem verify --source rbd:', () => {
  it('reads pool, image, conf and client id, opened read-only', () => {
    expect(parseRbdSource('rbd:rbd/db,conf=/etc/ceph/site.conf,id=client.gw', '--source')).toEqual({
      path: 'rbd:rbd/db',
      rbd: { pool: 'rbd', image: 'db', conf: '/etc/ceph/site.conf', client: 'gw' },
      readOnly: true,
      blockSize: 512,
    });
  });

  it('takes op-timeout, checked as for --lun', () => {
    expect(parseRbdSource('rbd:rbd/db,op-timeout=0', '--source').rbd).toEqual({ pool: 'rbd', image: 'db', opTimeout: 0 });
    expect(() => parseRbdSource('rbd:rbd/db,op-timeout=-5', '--source')).toThrow(
      new UsageError('--source rbd:rbd/db: op-timeout must be a non-negative integer of seconds (0: wait for the OSDs), not "-5"'),
    );
  });

  it.each(['rbd:pool', 'rbd:p/i,size=1G', 'rbd:p/i,meta=/x', 'rbd:p/i,conf', 'rbd:p/i,readonly'])('refuses %s in one line naming --source', (bad) => {
    expect(() => parseRbdSource(bad, '--source')).toThrow(UsageError);
    expect(() => parseRbdSource(bad, '--source')).toThrow(/^--source: /);
  });
});
