import { statSync } from 'node:fs';
import { expect } from 'vitest';
import { describeFailure, e2eTest, runScenario } from '../harness/scenario.js';

const MiB = 1024 * 1024;

e2eTest(5, 'fstrim on ext4 over a thin LUN shrinks the sparse backing file', async () => {
  const allocated: number[] = [];
  const run = await runScenario({
    id: '05-discard',
    script: '05-discard.sh',
    targets: [{ iqn: 'iqn.2026-11.io.tandem.e2e:discard', lunSizes: [256 * MiB] }],
    phases: (targets) => {
      // st_blocks counts 512-byte units actually allocated to the sparse file.
      const measure = async (): Promise<void> => {
        allocated.push(statSync(targets[0]!.spec.luns[0]!.path).blocks * 512);
      };
      return { 1: measure, 2: measure };
    },
  });
  const g = run.guest;
  const r = g.results;
  expect(g.exitCode, describeFailure(run)).toBe(0);
  expect(r.int('mkfs_rc')).toBe(0);
  expect(r.int('fill_rc')).toBe(0);
  expect(r.int('discard_max_bytes'), 'the kernel sees a discard-capable disk').toBeGreaterThan(0);
  expect(r.int('fstrim_rc'), g.out('fstrim.txt')).toBe(0);
  expect(allocated).toHaveLength(2);
  const [withFile, afterTrim] = allocated as [number, number];
  expect(withFile, 'the 48 MiB file is allocated on the host').toBeGreaterThanOrEqual(48 * MiB);
  expect(withFile - afterTrim, `allocated ${withFile} -> ${afterTrim}`).toBeGreaterThanOrEqual(40 * MiB);
});
