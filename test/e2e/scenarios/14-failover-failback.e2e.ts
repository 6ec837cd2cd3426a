import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { ReplicationStatus } from '../../../src/replication/status.js';
import { describeFailure, e2eTest, runScenario, scenarioWorkDir, targetKind } from '../harness/scenario.js';
import { expectExit, twoPorts } from '../harness/pair.js';
import { lunStatus, summary, tandem, waitForLun } from '../harness/tandem-admin.js';
import type { TargetUnderTest } from '../harness/target-under-test.js';

const MiB = 1024 * 1024;
const LUN_SIZE = 64 * MiB;
const IQN_A = 'iqn.2026-11.io.tandem.e2e:failover-a';
const IQN_B = 'iqn.2026-11.io.tandem.e2e:failover-b';
const ID = '14-failover-failback';
const title = 'ext4 over sync mirroring: primary SIGKILLed, backup promoted, files intact, e2fsck clean; failback with tandem switchover';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

if (targetKind === 'tandem') {
  e2eTest(
    14,
    title,
    async () => {
      const dir = scenarioWorkDir(ID);
      const [portA, portB] = await twoPorts();
      const sockA = join(dir, 'a.sock');
      const sockB = join(dir, 'b.sock');
      const started = Date.now();
      const timeline: Record<string, number> = {};
      /** One line per host step in <run dir>/failover-steps.log, with its status where it has one. */
      const step = (name: string, detail?: unknown): void => {
        timeline[name] = Date.now() - started;
        const line = `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${name}${detail === undefined ? '' : `  ${JSON.stringify(detail)}`}\n`;
        appendFileSync(join(dir, 'failover-steps.log'), line);
      };
      const continuousSync = (r: ReplicationStatus) => r.role === 'primary' && r.state === 'continuous' && r.flavour === 'sync';

      let killedPid: number | undefined;
      let heldMs: number | undefined;
      let firstGeneration = '';
      let promotedGeneration = '';

      const run = await runScenario({
        id: ID,
        script: '14-failover-failback.sh',
        // T0 = node A (primary, synchronous mirroring), T1 = node B (backup); launched in that
        // order, so A first finds its peer away and connects once B listens.
        targets: [
          {
            iqn: IQN_A,
            lunSizes: [LUN_SIZE],
            port: portA,
            tandemArgs: ['--role', 'primary', '--peer', `iscsi://127.0.0.1:${portB}/${IQN_B}/0`, '--sync', '--control', sockA],
          },
          {
            iqn: IQN_B,
            lunSizes: [LUN_SIZE],
            port: portB,
            tandemArgs: ['--role', 'backup', '--peer', `iscsi://127.0.0.1:${portA}/${IQN_A}/0`, '--control', sockB],
          },
        ],
        timeoutMs: 280_000,
        phases: (targets: TargetUnderTest[]) => {
          const nodeA = targets[0]!;
          return {
            // Before the guest writes anything: B's first sync is done, A mirrors synchronously.
            1: async () => {
              step('nodes started');
              const a = await waitForLun(sockA, 'A primary in continuous sync mirroring (first sync done)', continuousSync, 90_000);
              const b = await waitForLun(sockB, 'B backup holding A\'s history', (r) => r.role === 'backup' && !r.resyncTarget && r.generations.current === a.generations.current, 30_000);
              expect(b.identity.volumeId, 'B carries A\'s volume').toBe(a.identity.volumeId);
              firstGeneration = a.generations.current;
              step('A continuous (sync), B backup in step', { a: summary(a), b: summary(b) });
            },
            // The guest's writes and sync are acknowledged; its ext4 is still mounted on A.
            2: async () => {
              const a = await lunStatus(sockA);
              step('A before the kill', summary(a));
              expect(continuousSync(a), `A was not mirroring synchronously when killed: ${JSON.stringify(summary(a))}`).toBe(true);
              killedPid = nodeA.pid;
              await nodeA.kill();
              step('A SIGKILLed', { pid: killedPid });
              const refused = await tandem(['promote', '--control', sockB]);
              step('promote without --force', { code: refused.code, ms: refused.ms, stderr: refused.stderr.trim() });
              expectExit(refused, 1, 'tandem promote with the peer dead');
              expect(refused.stderr).toMatch(/unreachable/);
              const promoted = await tandem(['promote', '--force', '--json', '--control', sockB]);
              step('promote --force', { code: promoted.code, ms: promoted.ms, stdout: promoted.stdout.trim() });
              expectExit(promoted, 0, 'tandem promote --force');
              const b = await waitForLun(sockB, 'B primary after the promotion', (r) => r.role === 'primary', 10_000);
              expect(b.generations.current, 'the promotion starts a new generation').not.toBe(firstGeneration);
              promotedGeneration = b.generations.current;
              step('B primary', summary(b));
            },
            // The guest wrote more on B and logged out of both nodes.
            3: async () => {
              const b0 = await lunStatus(sockB);
              expect(b0.role, 'B still the primary').toBe('primary');
              await nodeA.restart();
              step('A restarted (same command line)', { pid: nodeA.pid });
              const stale = await waitForLun(sockA, 'A back as a stale primary', (r) => r.role === 'primary' && r.state === 'stale', 30_000);
              step('A stale', summary(stale));
              const demoted = await tandem(['demote', '--control', sockA]);
              step('demote A', { code: demoted.code, ms: demoted.ms, stdout: demoted.stdout.trim() });
              expectExit(demoted, 0, 'tandem demote on A');
              await waitForLun(sockA, 'A backup after the demotion', (r) => r.role === 'backup', 10_000);
              const b = await waitForLun(sockB, 'B continuous again (A resynchronised)', (r) => r.role === 'primary' && r.state === 'continuous' && r.dirtyChunks === 0, 90_000);
              const a = await waitForLun(sockA, 'A holding B\'s history', (r) => r.role === 'backup' && !r.resyncTarget && r.generations.current === b.generations.current, 30_000);
              step('A resynchronised from B', { a: summary(a), b: summary(b) });
              expect(sha256(nodeA.spec.luns[0]!.path), 'A\'s image equals B\'s after the resync').toBe(sha256(targets[1]!.spec.luns[0]!.path));

              const switched = await tandem(['switchover', '--json', '--control', sockB]);
              step('switchover on B', { code: switched.code, ms: switched.ms, stdout: switched.stdout.trim() });
              expectExit(switched, 0, 'tandem switchover on B');
              const answer = JSON.parse(switched.stdout) as { luns: { role: string; heldMs?: number }[] };
              heldMs = answer.luns[0]?.heldMs;
              const bBackup = await waitForLun(sockB, 'B backup after the switchover', (r) => r.role === 'backup', 10_000);
              const aPrimary = await waitForLun(sockA, 'A primary in continuous sync mirroring after the switchover', continuousSync, 90_000);
              expect(aPrimary.generations.current, 'A took over B\'s generation line').not.toBe(firstGeneration);
              step('failback done: A primary continuous, B backup', { a: summary(aPrimary), b: summary(bBackup) });
            },
          };
        },
      });

      const g = run.guest;
      const r = g.results;
      const [nodeA, nodeB] = run.targets as [TargetUnderTest, TargetUnderTest];
      step('guest done', { exitCode: g.exitCode, guestMs: g.durationMs });
      expect(g.phaseErrors.map((e) => e.message), describeFailure(run)).toEqual([]);
      expect(g.exitCode, describeFailure(run)).toBe(0);

      // On A, the first primary.
      expect(r.get('a_discovered').trim()).toBe(IQN_A);
      for (const key of ['a_login_rc', 'mkfs_rc', 'a_mount_rc', 'write_one_rc', 'sync_rc']) expect(r.int(key), key).toBe(0);
      const sumsOne = g.out('sums-one.txt');
      expect(sumsOne.trim().split('\n')).toHaveLength(5);
      expect(killedPid).toBeDefined();

      // A dead: its session is gone; on B, promoted, the files written before the kill are intact.
      expect(r.int('sessions_after_a'), 'no session left to the dead node').toBe(0);
      expect(r.get('b_discovered').trim()).toBe(IQN_B);
      for (const key of ['b_login_rc', 'b_mount_rc', 'write_two_rc', 'b_umount_rc']) expect(r.int(key), key).toBe(0);
      expect(r.get('b_sessions').trim(), 'B is the only session').toBe(IQN_B);
      expect(g.out('sums-one-b.txt'), 'files written on A before the kill, read on B').toBe(sumsOne);
      expect(r.int('one_on_b_match')).toBe(0);
      expect(r.int('b_e2fsck_rc'), g.out('e2fsck-b.txt')).toBe(0);
      const sumsTwo = g.out('sums-two.txt');
      expect(sumsTwo.trim().split('\n')).toHaveLength(4);
      expect(r.int('sessions_after_b'), 'no session left to B before the failback').toBe(0);

      // The guest sees one disk whichever node serves it.
      expect(r.get('a_wwid')).not.toBe('');
      expect(r.get('b_wwid'), 'same VPD 83h designator on B').toBe(r.get('a_wwid'));
      expect(r.get('a2_wwid'), 'same VPD 83h designator after the failback').toBe(r.get('a_wwid'));
      expect(r.get('b_serial'), 'same unit serial number on B').toBe(r.get('a_serial'));
      expect(r.get('a2_serial')).toBe(r.get('a_serial'));

      // Back on A: e2fsck clean, both sets intact, and A takes writes again.
      expect(r.int('a2_login_rc')).toBe(0);
      expect(r.get('a2_sessions').trim(), 'A is the only session after the failback').toBe(IQN_A);
      expect(r.int('a2_e2fsck_rc'), g.out('e2fsck-a2.txt')).toBe(0);
      expect(r.int('a2_mount_rc')).toBe(0);
      expect(g.out('sums-one-a2.txt'), 'first set after the failback').toBe(sumsOne);
      expect(g.out('sums-two-a2.txt'), 'files written on B, read on A after the failback').toBe(sumsTwo);
      expect(r.int('one_on_a2_match')).toBe(0);
      expect(r.int('two_on_a2_match')).toBe(0);
      expect(r.int('write_three_rc')).toBe(0);
      expect(r.int('a2_umount_rc')).toBe(0);
      expect(r.int('a2_logout_rc')).toBe(0);

      // The pair after the failback: A primary mirroring synchronously, B holding every write.
      const a = await lunStatus(sockA);
      const b = await lunStatus(sockB);
      step('final status', { a: summary(a), b: summary(b) });
      expect(continuousSync(a), JSON.stringify(summary(a))).toBe(true);
      expect(b.role).toBe('backup');
      expect(b.generations.current).toBe(a.generations.current);
      expect(promotedGeneration).not.toBe('');
      expect(sha256(nodeA.spec.luns[0]!.path), 'A and B images identical at the end').toBe(sha256(nodeB.spec.luns[0]!.path));

      // The roles as the logs tell them.
      const logA = nodeA.log();
      const logB = nodeB.log();
      expect(logA).toMatch(/"event":"stale-primary"/);
      expect(logB).toMatch(/"reason":"forced-promote"/);
      expect(logB).toMatch(/"event":"role-change".*"reason":"switchover"/);
      expect(logA).toMatch(/"event":"role-change".*"reason":"switchover"/);

      expect(heldMs, 'tandem switchover reports how long host writes were held').toBeTypeOf('number');
      expect(heldMs!).toBeGreaterThanOrEqual(0);
      // The guest was idle: nothing to drain, so the hold is short (the link timeout is 5 s).
      expect(heldMs!).toBeLessThan(5000);
      const result = { heldMs, totalMs: Date.now() - started, guestMs: g.durationMs, timeline };
      writeFileSync(join(dir, 'failover.json'), `${JSON.stringify(result, null, 2)}\n`);
      step('switchover hold', { heldMs });
      console.log(`scenario 14: switchover held host writes ${heldMs} ms; whole scenario ${(result.totalMs / 1000).toFixed(1)} s (steps in ${join(dir, 'failover-steps.log')})`);
    },
    300_000,
  );
} else {
  // tgtd has no replication; the scenario is Tandem's alone.
  test.skip(`14 ${title} [${targetKind}]`, () => {});
}
