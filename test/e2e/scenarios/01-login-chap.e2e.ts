import { expect } from 'vitest';
import { describeFailure, e2eTest, runScenario } from '../harness/scenario.js';

const MiB = 1024 * 1024;

/** A structured (pino) log line at warn level or above whose message is about CHAP/auth. */
function authFailureLogged(log: string): boolean {
  return log.split('\n').some((line) => {
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      return (entry.level ?? 0) >= 40 && /chap|auth/i.test(entry.msg ?? '');
    } catch {
      return false;
    }
  });
}
const iqn = (name: string): string => `iqn.2026-11.io.tandem.e2e:${name}`;

e2eTest(1, 'discovery and login without CHAP, with CHAP and mutual CHAP; wrong secrets refused', async () => {
  const run = await runScenario({
    id: '01-login-chap',
    script: '01-login-chap.sh',
    targets: [
      { iqn: iqn('open'), lunSizes: [16 * MiB] },
      { iqn: iqn('chap'), lunSizes: [16 * MiB], chap: { user: 'e2e-user', secret: 'e2e-secret-0123' } },
      {
        iqn: iqn('mutual'),
        lunSizes: [16 * MiB],
        chap: { user: 'e2e-user', secret: 'e2e-secret-0123' },
        mutualChap: { user: 'e2e-target', secret: 'e2e-target-secret-4567' },
      },
    ],
  });
  const r = run.guest.results;
  expect(run.guest.exitCode, describeFailure(run)).toBe(0);
  for (const [i, t] of run.targets.entries()) {
    expect(r.int(`discovery_rc_${i}`)).toBe(0);
    expect(r.get(`discovered_${i}`).split(' ')).toContain(t.spec.iqn);
  }
  for (const ok of ['none', 'chap', 'mutual']) {
    expect(r.int(`login_rc_${ok}`), `login ${ok}`).toBe(0);
    expect(r.int(`disks_${ok}`), `disks after login ${ok}`).toBe(1);
    expect(r.int(`logout_rc_${ok}`), `logout ${ok}`).toBe(0);
  }
  // iscsiadm exit 24 is ISCSI_ERR_LOGIN_AUTH_FAILED.
  expect(r.int('login_rc_chap_wrong')).toBe(24);
  expect(r.int('login_rc_chap_none')).not.toBe(0);
  expect(r.int('login_rc_mutual_wrong_target')).not.toBe(0);
  if (run.targets[1]!.traits.logsAuthFailures) {
    const log = run.targets[1]!.log();
    expect(authFailureLogged(log), `no warning about the refused CHAP login in:\n${log}`).toBe(true);
  }
});
