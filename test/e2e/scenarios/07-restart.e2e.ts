import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { expectVerifiedWrites } from '../harness/fio.js';
import { describeFailure, e2eTest, runScenario } from '../harness/scenario.js';

const MiB = 1024 * 1024;

e2eTest(7, 'target SIGKILLed and restarted during fio writes: session recovers, all blocks verify', async () => {
  let killedPid: number | undefined;
  let restartedPid: number | undefined;
  const run = await runScenario({
    id: '07-restart',
    script: '07-restart.sh',
    targets: [{ iqn: 'iqn.2026-11.io.tandem.e2e:restart', lunSizes: [64 * MiB] }],
    phases: (targets) => ({
      1: async () => {
        const t = targets[0]!;
        killedPid = t.pid;
        await t.kill();
        await sleep(2000);
        await t.restart();
        restartedPid = t.pid;
      },
    }),
  });
  const g = run.guest;
  const r = g.results;
  expect(g.exitCode, describeFailure(run)).toBe(0);
  expect(killedPid).toBeDefined();
  expect(restartedPid).toBeDefined();
  expect(restartedPid).not.toBe(killedPid);
  expect(r.int('recoveries'), 'the initiator saw the connection drop').toBeGreaterThanOrEqual(1);
  expectVerifiedWrites(g, 48 * MiB);
});
