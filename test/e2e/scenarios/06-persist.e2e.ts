import { expect } from 'vitest';
import { describeFailure, e2eTest, runScenario } from '../harness/scenario.js';

e2eTest(6, 'sg_persist register, reserve write-exclusive, second nexus refused, release, unregister', async () => {
  const run = await runScenario({
    id: '06-persist',
    script: '06-persist.sh',
    targets: [{ iqn: 'iqn.2026-11.io.tandem.e2e:persist', lunSizes: [32 * 1024 * 1024] }],
  });
  const g = run.guest;
  const r = g.results;
  expect(g.exitCode, describeFailure(run)).toBe(0);
  expect(r.int('login_a_rc')).toBe(0);
  expect(r.int('login_b_rc')).toBe(0);
  const [a, b] = r.get('disks').split(' ');
  expect(a).toMatch(/^sd[a-z]+$/);
  expect(b).toMatch(/^sd[a-z]+$/);
  expect(a).not.toBe(b);

  expect(r.int('register_a'), g.out('register_a.txt')).toBe(0);
  expect(r.int('reserve_a'), g.out('reserve_a.txt')).toBe(0);
  expect(g.out('keys.txt')).toMatch(/0xa1/);
  expect(g.out('reservation.txt')).toMatch(/Key=0xa1[\s\S]*Write Exclusive/i);
  expect(r.int('write_a_rc'), g.out('write_a.txt')).toBe(0);
  // The other nexus may read but not write, and cannot take the reservation.
  expect(r.get('write_b_reserved_status'), g.out('write_b_reserved.txt')).toMatch(/Reservation Conflict/i);
  expect(r.int('read_b_reserved_rc'), g.out('read_b_reserved.txt')).toBe(0);
  expect(r.int('register_b'), g.out('register_b.txt')).toBe(0);
  // sg_persist exits 24 (SG_LIB_CAT_RES_CONFLICT) on RESERVATION CONFLICT.
  expect(r.int('reserve_b_conflict'), g.out('reserve_b_conflict.txt')).toBe(24);
  expect(r.int('release_a'), g.out('release_a.txt')).toBe(0);
  expect(r.int('write_b_released_rc'), g.out('write_b_released.txt')).toBe(0);
  expect(r.int('unregister_a')).toBe(0);
  expect(r.int('unregister_b')).toBe(0);
  expect(g.out('keys-after.txt')).toMatch(/no registered reservation keys/i);
});
