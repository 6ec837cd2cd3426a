import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/usage-error.js';
import { DEFAULT_CONTROL_PATH, DEFAULT_REPLICATOR_IQN } from '../../src/cli/replication-options.js';
import { buildServeSettings, type ServeFlags } from '../../src/cli/serve-options.js';
import { testTempDir } from '../support/test-temp-dir.js';

const REPLICA = 'iscsi://repl:secretsecret12@10.0.0.2:3260/iqn.2026-11.io.tandem:disk0/0';

function configFile(json: unknown): string {
  const path = join(testTempDir('cfg'), 'tandem.json');
  writeFileSync(path, JSON.stringify(json));
  return path;
}

function usageError(flags: ServeFlags): string {
  try {
    buildServeSettings(flags);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('serve flags: replication roles', () => {
  it('a plain server has no role and no control socket', () => {
    const s = buildServeSettings({});
    expect(s.role).toBeUndefined();
    expect(s.control).toBeUndefined();
    expect(s.targets[0]!.luns[0]!.replica).toBeUndefined();
  });

  it('--role primary --replica applies to the single LUN with defaults auto/async', () => {
    const s = buildServeSettings({ role: 'primary', lun: ['/img/a.img,size=64M'], replica: REPLICA });
    expect(s.role).toBe('primary');
    expect(s.replicatorIqn).toBe(DEFAULT_REPLICATOR_IQN);
    expect(s.startOver).toBe(false);
    expect(s.control).toBe(DEFAULT_CONTROL_PATH);
    expect(s.targets[0]!.luns[0]).toMatchObject({ path: '/img/a.img', replica: REPLICA, replicationMode: 'auto', sync: false });
  });

  it('--replication-mode, --sync, --start-over, --replicator-iqn and --control are carried', () => {
    const s = buildServeSettings({ role: 'primary', replica: REPLICA, replicationMode: 'delta', sync: true, startOver: true, replicatorIqn: 'iqn.2026-11.example:rep', control: '/run/t.sock' });
    expect(s.targets[0]!.luns[0]).toMatchObject({ replicationMode: 'delta', sync: true });
    expect(s).toMatchObject({ startOver: true, replicatorIqn: 'iqn.2026-11.example:rep', control: '/run/t.sock' });
  });

  it('--role backup takes the replicator IQN', () => {
    const s = buildServeSettings({ role: 'backup', replicatorIqn: 'iqn.2026-11.example:rep' });
    expect(s).toMatchObject({ role: 'backup', replicatorIqn: 'iqn.2026-11.example:rep', control: DEFAULT_CONTROL_PATH });
  });

  it.each<[string, ServeFlags, RegExp]>([
    ['unknown role', { role: 'secondary' }, /--role: "secondary"/],
    ['primary without a replica', { role: 'primary' }, /--role primary needs a replica/],
    ['replica without primary', { replica: REPLICA }, /needs --role primary/],
    ['replica on a backup', { role: 'backup', replica: REPLICA }, /needs --role primary/],
    ['mode on a backup', { role: 'backup', replicationMode: 'delta' }, /--replication-mode only apply/],
    ['--sync without a role', { sync: true }, /--sync only apply/],
    ['bad mode', { role: 'primary', replica: REPLICA, replicationMode: 'mirror' }, /"mirror" is not one of continuous, delta, auto/],
    ['bad replica URL', { role: 'primary', replica: 'http://x/y' }, /replica for .*expected iscsi:\/\//],
    ['--replica with two LUNs', { role: 'primary', lun: ['/a.img', '/b.img'], replica: REPLICA }, /single LUN/],
    ['bad replicator IQN', { role: 'backup', replicatorIqn: 'replicator' }, /--replicator-iqn: "replicator" is not a valid iSCSI name/],
    ['read-only primary LUN', { role: 'primary', lun: ['/a.img,readonly'], replica: REPLICA }, /read-only LUN cannot be a replication primary/],
  ])('refuses %s with one clear line', (_name, flags, message) => {
    const text = usageError(flags);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });
});

describe('config file: LUN objects and replication keys', () => {
  it('accepts string and object LUN entries side by side, per-LUN mode/sync over the server-wide ones', () => {
    const path = configFile({
      role: 'primary',
      replicationMode: 'continuous',
      sync: false,
      replicatorIqn: 'iqn.2026-11.example:rep',
      control: '/tmp/x.sock',
      targets: [
        {
          iqn: 'iqn.2026-11.io.tandem:disk0',
          luns: ['/img/plain.img,size=1G', { path: '/img/a.img', size: '64M', replica: REPLICA, mode: 'delta', sync: true }, { path: '/img/b.img', size: 1048576, replica: REPLICA }],
        },
      ],
    });
    const s = buildServeSettings({ config: path });
    const [plain, a, b] = s.targets[0]!.luns;
    expect(plain).toEqual({ path: '/img/plain.img', size: 1024 ** 3, readOnly: false, blockSize: 512 });
    expect(a).toMatchObject({ path: '/img/a.img', size: 64 * 1024 ** 2, replica: REPLICA, replicationMode: 'delta', sync: true });
    expect(b).toMatchObject({ path: '/img/b.img', size: 1048576, replica: REPLICA, replicationMode: 'continuous', sync: false });
    expect(s).toMatchObject({ role: 'primary', replicatorIqn: 'iqn.2026-11.example:rep', control: '/tmp/x.sock' });
  });

  it('a flag overrides the file-wide setting', () => {
    const path = configFile({ role: 'primary', replicationMode: 'continuous', targets: [{ iqn: 'iqn.2026-11.io.tandem:d', luns: [{ path: '/a.img', replica: REPLICA }] }] });
    expect(buildServeSettings({ config: path, replicationMode: 'delta' }).targets[0]!.luns[0]!.replicationMode).toBe('delta');
  });

  it.each<[string, unknown, RegExp]>([
    ['unknown LUN key', { path: '/a.img', replica: REPLICA, mirror: true }, /luns\[0\] has unknown key "mirror"/],
    ['missing path', { replica: REPLICA }, /luns\[0\]\.path must be a non-empty string/],
    ['bad mode', { path: '/a.img', replica: REPLICA, mode: 'fast' }, /luns\[0\]\.mode: "fast" is not one of/],
    ['sync not boolean', { path: '/a.img', replica: REPLICA, sync: 'yes' }, /luns\[0\]\.sync must be true or false/],
    ['mode without replica', { path: '/a.img', mode: 'delta' }, /sets mode\/sync without a "replica"/],
    ['bad size', { path: '/a.img', size: -5 }, /luns\[0\]\.size must be/],
    ['bad block size', { path: '/a.img', blockSize: 1024 }, /blockSize must be 512 or 4096/],
  ])('refuses a LUN object with %s', (_name, lun, message) => {
    const path = configFile({ role: 'primary', targets: [{ iqn: 'iqn.2026-11.io.tandem:d', luns: [lun] }] });
    expect(usageError({ config: path })).toMatch(message);
  });

  it('refuses mistyped top-level replication keys', () => {
    expect(usageError({ config: configFile({ sync: 'true' }) })).toMatch(/"sync" must be true or false/);
    expect(usageError({ config: configFile({ role: 1 }) })).toMatch(/"role" must be a string/);
  });
});

describe('replica URLs in logs and status', () => {
  it('lose their CHAP secret and keep everything else', async () => {
    const { redactedReplica } = await import('../../src/cli/serve.js');
    expect(redactedReplica(REPLICA)).toBe('iscsi://repl:***@10.0.0.2:3260/iqn.2026-11.io.tandem:disk0/0');
    expect(redactedReplica('iscsi://10.0.0.2/iqn.2026-11.io.tandem:disk0/0')).toBe('iscsi://10.0.0.2/iqn.2026-11.io.tandem:disk0/0');
  });
});
