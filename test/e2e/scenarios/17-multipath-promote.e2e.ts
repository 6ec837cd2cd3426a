import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { expectGroups, fioOutcome, writeAluaLog } from '../harness/multipath-checks.js';
import { expectExit, replicatedPair, stepLog, summary, waitInStep } from '../harness/pair.js';
import { describeFailure, e2eTest, runScenario, scenarioWorkDir, targetKind } from '../harness/scenario.js';
import { tandem, waitForLun } from '../harness/tandem-admin.js';
import type { TargetUnderTest } from '../harness/target-under-test.js';

const ID = '17-multipath-promote';
const title = 'unplanned failover under fio --verify: primary SIGKILLed, promote --force on the backup, I/O resumes on the same multipath device, every acknowledged block verifies';

if (targetKind === 'tandem') {
  e2eTest(
    17,
    title,
    async () => {
      const dir = scenarioWorkDir(ID);
      const started = Date.now();
      const timeline: Record<string, number> = {};
      const step = stepLog(dir, started, timeline);
      // Synchronous mirroring: every write fio had acknowledged is on B when A dies.
      const pair = await replicatedPair({ dir, iqnA: 'iqn.2026-11.io.tandem.e2e:promote-a', iqnB: 'iqn.2026-11.io.tandem.e2e:promote-b', lunSize: 64 * 1024 * 1024, extraArgs: ['--sync'] });
      const run = await runScenario({
        id: ID,
        script: '17-multipath-promote.sh',
        targets: pair.targets,
        timeoutMs: 200_000,
        phases: (targets: TargetUnderTest[]) => ({
          1: async () => {
            const { primary, backup } = await waitInStep(pair.sockA, pair.sockB, 'first sync');
            step('A primary continuous (sync), B in step', { a: summary(primary), b: summary(backup) });
          },
          2: async () => {
            await targets[0]!.kill();
            step('A SIGKILLed');
            const promoted = await tandem(['promote', '--force', '--json', '--control', pair.sockB]);
            step('promote --force on B', { code: promoted.code, ms: promoted.ms, stdout: promoted.stdout.trim() });
            expectExit(promoted, 0, 'tandem promote --force');
            const b = await waitForLun(pair.sockB, 'B primary', (s) => s.role === 'primary', 10_000);
            step('B primary', { b: summary(b), alua: b.alua });
            expect(b.alua.local).toEqual({ group: 2, state: 'active/optimized' });
          },
        }),
      });
      const g = run.guest;
      const r = g.results;
      step('guest done', { exitCode: g.exitCode, guestMs: g.durationMs });
      expect(g.phaseErrors.map((e) => e.message), describeFailure(run)).toEqual([]);
      expect(g.exitCode, describeFailure(run)).toBe(0);
      const disks = { a: r.get('a_disk').trim(), b: r.get('b_disk').trim() };
      expect(r.int('a_active_rc')).toBe(0);
      expect(r.int('b_active_rc'), g.out('after-promote-multipath-ll.txt')).toBe(0);
      expectGroups(g.out(`before-rtpg-${disks.a}.txt`), { 1: 'active/optimized', 2: 'standby' }, 'before, through A');
      expectGroups(g.out(`before-rtpg-${disks.b}.txt`), { 1: 'active/optimized', 2: 'standby' }, 'before, through B');
      // After the promotion B is active and reports A's group unavailable (A does not answer).
      expectGroups(g.out(`after-promote-rtpg-${disks.b}.txt`), { 1: 'unavailable', 2: 'active/optimized' }, 'after the promotion, through B');

      expect(r.int('fio_rc'), g.out('fio.txt')).toBe(0);
      const fio = fioOutcome(g);
      expect(fio.errors).toBe(0);
      expect(fio.writtenBytes).toBe(32 * 1024 * 1024);
      expect(fio.readBytes).toBe(32 * 1024 * 1024);

      const log = writeAluaLog(dir, g, ['before', 'after-promote'], [disks.a, disks.b]);
      const totalMs = Date.now() - started;
      writeFileSync(join(dir, 'timing.json'), `${JSON.stringify({ totalMs, guestMs: g.durationMs, timeline }, null, 2)}\n`);
      console.log(`scenario 17: ${(totalMs / 1000).toFixed(1)} s (guest ${(g.durationMs / 1000).toFixed(1)} s); states in ${log}`);
    },
    240_000,
  );
} else {
  test.skip(`17 ${title} [${targetKind}]`, () => {});
}
