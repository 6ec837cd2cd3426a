import { expect } from 'vitest';
import { parseFioJson } from '../harness/fio.js';
import { hurlMalformedInput } from '../harness/malformed.js';
import { describeFailure, e2eTest, runScenario } from '../harness/scenario.js';

e2eTest(8, 'malformed input on other host connections leaves the guest I/O unaffected', async () => {
  let sent = 0;
  let aliveAfter = false;
  const run = await runScenario({
    id: '08-malformed-input',
    script: '08-garbage.sh',
    targets: [{ iqn: 'iqn.2026-11.io.tandem.e2e:malformed', lunSizes: [64 * 1024 * 1024] }],
    phases: (targets) => ({
      1: async () => {
        sent = await hurlMalformedInput(targets[0]!.port);
        aliveAfter = targets[0]!.alive();
      },
    }),
  });
  const g = run.guest;
  expect(g.exitCode, describeFailure(run)).toBe(0);
  expect(sent).toBeGreaterThan(0);
  expect(aliveAfter, 'target process survived the malformed input').toBe(true);
  expect(g.results.int('fio_rc'), g.out('fio.txt')).toBe(0);
  const [job] = parseFioJson(g.out('fio.json'));
  expect(job!.error).toBe(0);
  expect(job!.readBytes).toBe(32 * 1024 * 1024);
  expect(g.results.int('logout_rc')).toBe(0);
});
