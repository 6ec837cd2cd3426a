import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/usage-error.js';
import { buildServeSettings, openTargetsOnNetwork, parseLun, parsePortal } from '../../src/cli/serve-options.js';
import { testTempDir } from '../support/test-temp-dir.js';

describe('serve defaults', () => {
  it('serves ./data/disk0.img, 1 GiB, as LUN 0 of the default IQN on 127.0.0.1:3260', () => {
    const s = buildServeSettings({});
    expect(s.portals).toEqual([{ host: '127.0.0.1', port: 3260 }]);
    expect(s.targets).toHaveLength(1);
    expect(s.targets[0]!.iqn).toBe('iqn.2026-11.io.tandem:disk0');
    expect(s.targets[0]!.luns).toEqual([{ path: './data/disk0.img', size: 1024 ** 3, readOnly: false, blockSize: 512 }]);
  });
});

describe('--listen', () => {
  it('reads IPv4, IPv6 and default port', () => {
    expect(parsePortal('0.0.0.0:3261')).toEqual({ host: '0.0.0.0', port: 3261 });
    expect(parsePortal('[::1]:3262')).toEqual({ host: '::1', port: 3262 });
    expect(parsePortal('localhost')).toEqual({ host: 'localhost', port: 3260 });
  });
  it.each(['host:99999', 'a:b:c', '[::1', ':3260'])('rejects %s', (bad) => {
    expect(() => parsePortal(bad)).toThrow(UsageError);
  });
});

describe('--lun', () => {
  it('reads options', () => {
    expect(parseLun('/x.img,size=2G,readonly,blocksize=4096')).toEqual({ path: '/x.img', size: 2 * 1024 ** 3, readOnly: true, blockSize: 4096 });
  });
  it('names the bad option', () => {
    expect(() => parseLun('/x.img,sise=1G')).toThrow(/sise=1G/);
    expect(() => parseLun('/x.img,blocksize=1024')).toThrow(/blocksize=1024/);
  });
  it('refuses sizes that are not whole blocks', () => {
    expect(() => parseLun('/x.img,size=1000,blocksize=512')).toThrow(/multiple of the block size/);
  });
});

describe('credentials and names', () => {
  it('requires one-way CHAP for mutual CHAP', () => {
    expect(() => buildServeSettings({ mutualChap: 'target:targetsecret12' })).toThrow(/needs one-way CHAP/);
  });
  it('refuses short secrets and malformed IQNs', () => {
    expect(() => buildServeSettings({ chap: 'user:short' })).toThrow(/at least 12/);
    expect(() => buildServeSettings({ iqn: 'not-an-iqn' })).toThrow(/not a valid iSCSI name/);
    expect(() => buildServeSettings({ allow: ['bogus'] })).toThrow(/--allow/);
  });
  it('warns about open targets only on non-loopback portals', () => {
    expect(openTargetsOnNetwork(buildServeSettings({}))).toEqual([]);
    expect(openTargetsOnNetwork(buildServeSettings({ listen: ['0.0.0.0:3260'] }))).toEqual(['iqn.2026-11.io.tandem:disk0']);
    expect(openTargetsOnNetwork(buildServeSettings({ listen: ['0.0.0.0:3260'], chap: 'u:0123456789abcdef' }))).toEqual([]);
  });
});

describe('--config', () => {
  const write = (name: string, body: string): string => {
    const p = join(testTempDir('cfg'), name);
    writeFileSync(p, body);
    return p;
  };
  it('reads several targets', () => {
    const p = write(
      'ok.json',
      JSON.stringify({
        listen: ['127.0.0.1:3300'],
        targets: [
          { iqn: 'iqn.2026-11.io.tandem:a', luns: ['/a.img,size=1M'], chap: 'alice:0123456789abcdef' },
          { iqn: 'iqn.2026-11.io.tandem:b', luns: ['/b.img', '/c.img,readonly'], allow: ['iqn.1994-05.com.redhat:x'] },
        ],
      }),
    );
    const s = buildServeSettings({ config: p });
    expect(s.portals).toEqual([{ host: '127.0.0.1', port: 3300 }]);
    expect(s.targets.map((t) => t.iqn)).toEqual(['iqn.2026-11.io.tandem:a', 'iqn.2026-11.io.tandem:b']);
    expect(s.targets[1]!.luns[1]!.readOnly).toBe(true);
  });
  it.each([
    ['bad.json', '{not json', /not valid JSON/],
    ['key.json', '{"listn": []}', /unknown key "listn"/],
    ['luns.json', '{"targets":[{"iqn":"iqn.2026-11.io.tandem:a","luns":"x"}]}', /luns must be an array/],
    ['dup.json', '{"targets":[{"iqn":"iqn.2026-11.io.tandem:a","luns":["/a"]},{"iqn":"iqn.2026-11.io.tandem:a","luns":["/b"]}]}', /defined twice/],
  ])('explains %s in one line', (name, body, pattern) => {
    expect(() => buildServeSettings({ config: write(name, body) })).toThrow(pattern);
  });
  it('names a missing file', () => {
    expect(() => buildServeSettings({ config: join(testTempDir('cfg'), 'missing.json') })).toThrow(/ENOENT/);
  });
});

describe('--max-connections and --buffer-memory', () => {
  it('leave the server defaults when not given', () => {
    const s = buildServeSettings({});
    expect(s.maxConnections).toBeUndefined();
    expect(s.bufferMemory).toBeUndefined();
  });
  it('read a count and a size, from flags or the config file', () => {
    expect(buildServeSettings({ maxConnections: '32', bufferMemory: '256M' })).toMatchObject({ maxConnections: 32, bufferMemory: 256 * 1024 ** 2 });
    const p = join(testTempDir('limits'), 'limits.json');
    writeFileSync(p, JSON.stringify({ maxConnections: 8, bufferMemory: '2GiB' }));
    expect(buildServeSettings({ config: p })).toMatchObject({ maxConnections: 8, bufferMemory: 2 * 1024 ** 3 });
    // A flag wins over the file.
    expect(buildServeSettings({ config: p, maxConnections: '9' }).maxConnections).toBe(9);
  });
  it.each([
    [{ maxConnections: '0' }, /--max-connections: "0" is not a positive integer/],
    [{ maxConnections: 'many' }, /--max-connections: "many" is not a positive integer/],
    [{ maxConnections: '2.5' }, /--max-connections: "2.5" is not a positive integer/],
    [{ bufferMemory: '1M' }, /--buffer-memory: 1M is below 64 MiB/],
    [{ bufferMemory: 'lots' }, /--buffer-memory: cannot read size "lots"/],
  ])('refuses %j in one line', (flags, pattern) => {
    expect(() => buildServeSettings(flags)).toThrow(UsageError);
    expect(() => buildServeSettings(flags)).toThrow(pattern);
  });
});
