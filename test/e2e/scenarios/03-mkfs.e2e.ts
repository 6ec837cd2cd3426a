import { expect } from 'vitest';
import { describeFailure, e2eTest, runScenario } from '../harness/scenario.js';

e2eTest(3, 'mkfs.ext4, files survive logout and login with matching checksums, e2fsck clean', async () => {
  const run = await runScenario({
    id: '03-mkfs',
    script: '03-mkfs.sh',
    targets: [{ iqn: 'iqn.2026-11.io.tandem.e2e:mkfs', lunSizes: [128 * 1024 * 1024] }],
  });
  const g = run.guest;
  const r = g.results;
  expect(g.exitCode, describeFailure(run)).toBe(0);
  for (const key of ['login_rc', 'mkfs_rc', 'mount_rc', 'umount_rc', 'logout_rc', 'relogin_rc', 'remount_rc']) {
    expect(r.int(key), key).toBe(0);
  }
  const before = g.out('sums-before.txt');
  expect(before.trim().split('\n')).toHaveLength(6);
  expect(g.out('sums-after.txt')).toBe(before);
  expect(r.int('e2fsck_rc'), g.out('e2fsck.txt')).toBe(0);
});
