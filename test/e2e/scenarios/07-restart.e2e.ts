import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { parseFioJson } from '../harness/fio.js';
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
  expect(r.int('write_rc'), g.out('fio-write.txt')).toBe(0);
  expect(r.int('recoveries'), 'the initiator saw the connection drop').toBeGreaterThanOrEqual(1);
  const written = parseFioJson(g.out('fio-write.json'));
  expect(written[0]!.error).toBe(0);
  expect(written[0]!.writeBytes).toBe(48 * MiB);
  expect(r.int('verify_rc'), g.out('fio-verify.txt')).toBe(0);
  const verified = parseFioJson(g.out('fio-verify.json'));
  expect(verified[0]!.error).toBe(0);
  expect(verified[0]!.readBytes).toBe(48 * MiB);
});
