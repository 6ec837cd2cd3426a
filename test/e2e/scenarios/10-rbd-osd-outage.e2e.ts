import { setTimeout as sleep } from 'node:timers/promises';
import { expect, onTestFinished, test } from 'vitest';
import { rbdTestsSkipReason, startTestCluster } from '../../support/ceph.js';
import { expectVerifiedWrites } from '../harness/fio.js';
import { describeFailure, e2eTest, runScenario, targetKind } from '../harness/scenario.js';

const MiB = 1024 * 1024;
const OP_TIMEOUT_S = 14;
/** Longer than the op timeout, so held writes fail at the target and the host retries them. */
const OUTAGE_S = 25;
const title = `RBD LUN (op-timeout=${OP_TIMEOUT_S}): the one OSD SIGKILLed for ${OUTAGE_S} s under fio writes; the host retries NOT READY, the session stays up, all blocks verify`;

const skipReason = targetKind !== 'tandem' ? 'the RBD LUN is Tandem\'s (tgtd is compared on RBD in the bench)' : rbdTestsSkipReason();

if (skipReason === null) {
  e2eTest(10, title, async () => {
    const cluster = await startTestCluster();
    onTestFinished(() => cluster.stop());
    let pidAtStart: number | undefined;
    let outage: { killedAt: number; upAt: number } | undefined;
    const run = await runScenario({
      id: '10-rbd-osd-outage',
      script: '10-rbd-osd-outage.sh',
      targets: [
        {
          iqn: 'iqn.2026-11.io.tandem.e2e:rbd-outage',
          lunSizes: [64 * MiB],
          lunPaths: [`rbd:${cluster.pool}/e2e-outage,conf=${cluster.conf},op-timeout=${OP_TIMEOUT_S}`],
        },
      ],
      phases: (targets) => ({
        1: async () => {
          pidAtStart = targets[0]!.pid;
          await cluster.killOsd();
          const killedAt = Date.now();
          await sleep(OUTAGE_S * 1000);
          await cluster.startOsd();
          outage = { killedAt, upAt: Date.now() };
        },
      }),
      timeoutMs: 240_000,
    });
    const g = run.guest;
    const r = g.results;
    const target = run.targets[0]!;
    expect(g.exitCode, describeFailure(run)).toBe(0);
    expect(r.int('login_rc')).toBe(0);
    expect(outage, 'the host ran the outage').toBeDefined();
    expect(outage!.upAt - outage!.killedAt).toBeGreaterThanOrEqual(OUTAGE_S * 1000);
    // The command timeout the retries must fit in: op-timeout is below it.
    expect(r.int('command_timeout')).toBeGreaterThan(OP_TIMEOUT_S);

    // Not a crashed or restarted process, and not a hung one: the session never dropped.
    expect(target.alive()).toBe(true);
    expect(target.pid).toBe(pidAtStart);
    expect(r.int('recoveries'), 'the initiator never lost the session').toBe(0);

    // The outage reached the host as errors it retries: held writes failed at the target with
    // ETIMEDOUT, answered NOT READY, becoming ready (the target logs each).
    const timedOut = target.log().split('\n').filter((l) => l.includes('"block I/O error"') && l.includes('"code":"ETIMEDOUT"'));
    expect(timedOut.length, 'writes held by the outage failed as retryable errors').toBeGreaterThan(0);

    // And every write, retried, completed and verifies.
    expectVerifiedWrites(g, 24 * MiB);
    expect(r.int('logout_rc')).toBe(0);
  }, 300_000);
} else {
  test.skip(`10 ${title} [${targetKind}]: ${skipReason}`, () => {});
}
