import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { replicatedPair, stepLog, summary, waitInStep } from '../harness/pair.js';
import { describeFailure, e2eTest, runScenario, scenarioWorkDir, targetKind } from '../harness/scenario.js';
import type { TargetUnderTest } from '../harness/target-under-test.js';

const ID = '15-multipath-alua';
const title = 'dm-multipath over both nodes of a pair: one map, the primary\'s path group active, the backup\'s standby; sg_rtpg and sg_inq show ALUA on both';

if (targetKind === 'tandem') {
  e2eTest(
    15,
    title,
    async () => {
      const dir = scenarioWorkDir(ID);
      const started = Date.now();
      const timeline: Record<string, number> = {};
      const step = stepLog(dir, started, timeline);
      const pair = await replicatedPair({ dir, iqnA: 'iqn.2026-11.io.tandem.e2e:alua-a', iqnB: 'iqn.2026-11.io.tandem.e2e:alua-b', lunSize: 32 * 1024 * 1024 });
      const run = await runScenario({
        id: ID,
        script: '15-multipath-alua.sh',
        targets: pair.targets,
        timeoutMs: 150_000,
        phases: (_targets: TargetUnderTest[]) => ({
          1: async () => {
            const { primary, backup } = await waitInStep(pair.sockA, pair.sockB, 'first sync');
            step('A primary continuous, B in step', { a: summary(primary), b: summary(backup), aluaA: primary.alua, aluaB: backup.alua });
            expect(primary.alua.local).toEqual({ group: 1, state: 'active/optimized' });
            expect(backup.alua.local).toEqual({ group: 2, state: 'standby' });
          },
        }),
      });
      const g = run.guest;
      const r = g.results;
      step('guest done', { exitCode: g.exitCode, guestMs: g.durationMs });
      expect(g.phaseErrors.map((e) => e.message), describeFailure(run)).toEqual([]);
      expect(g.exitCode, describeFailure(run)).toBe(0);
      expect(r.int('mp_start_rc'), g.out('multipathd.log')).toBe(0);
      expect(r.int('a_login_rc')).toBe(0);
      expect(r.int('b_login_rc')).toBe(0);

      // One disk: both paths carry the volume's designator, and multipath joins them in one map.
      expect(r.get('a_wwid')).not.toBe('');
      expect(r.get('b_wwid')).toBe(r.get('a_wwid'));
      expect(r.get('map')).toMatch(/^mpath/);
      const ll = g.out('multipath-ll.txt');
      const disks = { a: r.get('a_disk').trim(), b: r.get('b_disk').trim() };
      // Two path groups: the primary's first (prio 50, active), the backup's (prio 1, standby).
      const groups = [...ll.matchAll(/policy='[^']*' prio=(\d+) status=(\w+)\n((?:[ |`]+- .*\n?)+)/g)].map((m) => ({ prio: Number(m[1]), status: m[2], paths: m[3]! }));
      expect(groups, ll).toHaveLength(2);
      const active = groups.find((x) => x.paths.includes(` ${disks.a} `));
      const standby = groups.find((x) => x.paths.includes(` ${disks.b} `));
      expect(active, ll).toMatchObject({ prio: 50, status: 'active' });
      expect(r.int('map_ro'), 'the map is writable (no WP bit from the standby path)').toBe(0);
      expect(standby, ll).toMatchObject({ prio: 1, status: 'enabled' });
      expect(ll).toMatch(/hwhandler='1 alua'/);
      expect(r.int('a_active_rc'), g.out('paths.txt')).toBe(0);
      expect(r.get('a_dh').trim()).toBe('alua');
      expect(r.get('a_alua_state').trim()).toBe('active/optimized');
      expect(r.get('b_alua_state').trim()).toBe('standby');

      // INQUIRY: TPGS=1 (implicit ALUA) through both nodes; VPD 83h names each node's port group.
      for (const n of ['a', 'b'] as const) {
        expect(r.int(`${n}_inq_rc`)).toBe(0);
        expect(g.out(`inq-${n}.txt`)).toMatch(/TPGS=1/);
        expect(r.int(`${n}_rtpg_rc`), g.out(`rtpg-${n}.txt`)).toBe(0);
        expect(r.int(`${n}_rtpg_extended_rc`), g.out(`rtpg-extended-${n}.txt`)).toBe(0);
      }
      expect(g.out('vpd83-a.txt')).toMatch(/Target port group: 0x1/);
      expect(g.out('vpd83-b.txt')).toMatch(/Target port group: 0x2/);
      // Both nodes report both groups the same way: group 1 (A) active/optimized, group 2 (B) standby.
      for (const n of ['a', 'b'] as const) {
        const rtpg = g.out(`rtpg-${n}.txt`);
        expect(rtpg).toMatch(/target port group id : 0x1[\s\S]*?asymmetric access state : 0x00 \(active\/optimized\)/);
        expect(rtpg).toMatch(/target port group id : 0x2[\s\S]*?asymmetric access state : 0x02 \(standby\)/);
      }
      expect(g.out('rtpg-extended-a.txt')).toMatch(/Implicit transition time: 30/);

      // Reads through the map work; a read straight to the standby path is refused (NOT READY 04h/0Bh).
      expect(r.int('map_read_rc'), g.out('dd-map.txt')).toBe(0);
      expect(r.int('b_raw_read_rc')).not.toBe(0);
      expect(g.out('raw-read-b.txt')).toMatch(/Not Ready.*standby|standby state/i);

      const log = ['multipath-ll.txt', 'rtpg-a.txt', 'rtpg-b.txt', 'rtpg-extended-a.txt', 'inq-a.txt', 'inq-b.txt'].map((f) => `==> ${f}\n${g.out(f)}`).join('\n');
      writeFileSync(join(dir, 'alua.log'), log);
      const totalMs = Date.now() - started;
      writeFileSync(join(dir, 'timing.json'), `${JSON.stringify({ totalMs, guestMs: g.durationMs, timeline }, null, 2)}\n`);
      console.log(`scenario 15: ${(totalMs / 1000).toFixed(1)} s (guest ${(g.durationMs / 1000).toFixed(1)} s); sg_rtpg and multipath -ll in ${join(dir, 'alua.log')}`);
    },
    180_000,
  );
} else {
  test.skip(`15 ${title} [${targetKind}]`, () => {});
}
