import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseFioJson } from '../harness/fio.js';
import { describeFailure, e2eTest, repoRoot, runScenario, targetKind } from '../harness/scenario.js';

const MiB = 1024 * 1024;

e2eTest(4, 'fio direct random writes then crc32c-verified reads, 4 KiB to 1 MiB, iodepth 32', async () => {
  const run = await runScenario({
    id: '04-fio',
    script: '04-fio.sh',
    targets: [{ iqn: 'iqn.2026-11.io.tandem.e2e:fio', lunSizes: [160 * MiB] }],
  });
  const g = run.guest;
  expect(g.exitCode, describeFailure(run)).toBe(0);
  expect(g.results.int('login_rc')).toBe(0);
  expect(g.results.int('fio_rc'), g.out('fio.txt')).toBe(0);
  const jobs = parseFioJson(g.out('fio.json'));
  expect(jobs.map((j) => j.name).sort()).toEqual(['rand-1m', 'rand-256k', 'rand-4k', 'rand-64k']);
  for (const job of jobs) {
    expect(job.error, job.name).toBe(0);
    expect(job.writeBytes, `${job.name} wrote its region`).toBe(32 * MiB);
    expect(job.readBytes, `${job.name} verified its region`).toBe(32 * MiB);
  }

  const total = (pick: (j: (typeof jobs)[number]) => number): number => Math.round(jobs.reduce((s, j) => s + pick(j), 0) * 10) / 10;
  const dir = join(repoRoot, 'test', 'e2e', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `fio-${targetKind}.json`),
    JSON.stringify(
      {
        target: targetKind,
        measuredAt: new Date().toISOString(),
        setup: 'Linux 6.1 open-iscsi in QEMU TCG (2 vCPU, no KVM), slirp networking to a loopback target; 4 concurrent jobs, iodepth 32 each, 32 MiB each, direct I/O, randwrite then crc32c verify',
        jobs: jobs.map((j) => ({ ...j, writeIops: Math.round(j.writeIops), readIops: Math.round(j.readIops) })),
        total: { writeIops: total((j) => j.writeIops), writeMBps: total((j) => j.writeMBps), readIops: total((j) => j.readIops), readMBps: total((j) => j.readMBps) },
        vmSeconds: Math.round(g.durationMs / 100) / 10,
      },
      null,
      2,
    ) + '\n',
  );
});
