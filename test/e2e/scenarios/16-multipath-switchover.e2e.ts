import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { expectGroups, fioOutcome, writeAluaLog } from '../harness/multipath-checks.js';
import { expectExit, replicatedPair, stepLog, summary, waitInStep } from '../harness/pair.js';
import { describeFailure, e2eTest, runScenario, scenarioWorkDir, targetKind } from '../harness/scenario.js';
import { tandem, waitForLun } from '../harness/tandem-admin.js';

const ID = '16-multipath-switchover';
const title = 'fio --verify on the multipath device through tandem switchover and back, under a Write Exclusive Registrants Only reservation, keys registered with ALL_TG_PT: no I/O error, every block verifies';

if (targetKind === 'tandem') {
  e2eTest(
    16,
    title,
    async () => {
      const dir = scenarioWorkDir(ID);
      const started = Date.now();
      const timeline: Record<string, number> = {};
      const step = stepLog(dir, started, timeline);
      const pair = await replicatedPair({ dir, iqnA: 'iqn.2026-11.io.tandem.e2e:switch-a', iqnB: 'iqn.2026-11.io.tandem.e2e:switch-b', lunSize: 64 * 1024 * 1024 });
      const held: number[] = [];
      /** `tandem switchover` on `from`; waits for `to` to be the primary, mirroring again onto `from`. */
      const switchover = async (from: string, to: string, name: string) => {
        const r = await tandem(['switchover', '--json', '--control', from]);
        step(`switchover ${name}`, { code: r.code, ms: r.ms, stdout: r.stdout.trim() });
        expectExit(r, 0, `tandem switchover ${name}`);
        held.push((JSON.parse(r.stdout) as { luns: Array<{ heldMs: number }> }).luns[0]!.heldMs);
        const { primary, backup } = await waitInStep(to, from, `after switchover ${name}`, 60_000);
        step(`${name}: in step again`, { primary: summary(primary), backup: summary(backup) });
      };
      const run = await runScenario({
        id: ID,
        script: '16-multipath-switchover.sh',
        targets: pair.targets,
        timeoutMs: 200_000,
        phases: () => ({
          1: async () => {
            const { primary, backup } = await waitInStep(pair.sockA, pair.sockB, 'first sync');
            step('A primary continuous, B in step', { a: summary(primary), b: summary(backup) });
          },
          2: () => switchover(pair.sockA, pair.sockB, 'A -> B'),
          3: () => switchover(pair.sockB, pair.sockA, 'B -> A'),
        }),
      });
      const g = run.guest;
      const r = g.results;
      step('guest done', { exitCode: g.exitCode, guestMs: g.durationMs });
      expect(g.phaseErrors.map((e) => e.message), describeFailure(run)).toEqual([]);
      expect(g.exitCode, describeFailure(run)).toBe(0);
      const disks = { a: r.get('a_disk').trim(), b: r.get('b_disk').trim() };

      // multipath followed the primary role each way.
      expect(r.int('a_active_rc')).toBe(0);
      expect(r.int('b_active_rc'), g.out('after-switchover-multipath-ll.txt')).toBe(0);
      expect(r.int('a_active_again_rc'), g.out('after-switchback-multipath-ll.txt')).toBe(0);
      // sg_rtpg through each path, before and after each switchover.
      const before = { 1: 'active/optimized', 2: 'standby' };
      const swapped = { 1: 'standby', 2: 'active/optimized' };
      for (const d of [disks.a, disks.b]) {
        expectGroups(g.out(`before-rtpg-${d}.txt`), before, `before, through ${d}`);
        expectGroups(g.out(`after-switchover-rtpg-${d}.txt`), swapped, `after the switchover, through ${d}`);
        expectGroups(g.out(`after-switchback-rtpg-${d}.txt`), before, `after the switchover back, through ${d}`);
      }

      // The reservation: the key registered through each path for every target port, held through A, seen through B.
      for (const name of ['pr_register_a', 'pr_register_b', 'pr_reserve', 'pr_status']) expect(r.int(`${name}_rc`), name).toBe(0);
      const status = g.out('pr-full-status.txt');
      expect(status.match(/Key=0x7a6e/g)?.length, status).toBe(2);
      expect(status.match(/All target ports bit set/g)?.length, status).toBe(2);
      expect(status, status).toMatch(/<< Reservation holder >>\s+scope: LU_SCOPE,\s+type: Write Exclusive, registrants only/);

      // fio: no I/O error, and its verify pass read back every block it wrote.
      expect(r.int('fio_rc'), g.out('fio.txt')).toBe(0);
      const fio = fioOutcome(g);
      expect(fio.errors).toBe(0);
      expect(fio.writtenBytes).toBe(48 * 1024 * 1024);
      expect(fio.readBytes).toBe(48 * 1024 * 1024);

      // The pair ends as it began: A primary, both images the same once mirrored.
      const a = await waitForLun(pair.sockA, 'A primary at the end', (s) => s.role === 'primary' && s.state === 'continuous', 30_000);
      step('final', { a: summary(a), heldMs: held });
      const log = writeAluaLog(dir, g, ['before', 'after-switchover', 'after-switchback'], [disks.a, disks.b]);
      const totalMs = Date.now() - started;
      writeFileSync(join(dir, 'timing.json'), `${JSON.stringify({ totalMs, guestMs: g.durationMs, heldMs: held, timeline }, null, 2)}\n`);
      console.log(`scenario 16: ${(totalMs / 1000).toFixed(1)} s (guest ${(g.durationMs / 1000).toFixed(1)} s), switchover holds ${held.join(', ')} ms; states in ${log}`);
    },
    240_000,
  );
} else {
  test.skip(`16 ${title} [${targetKind}]`, () => {});
}
