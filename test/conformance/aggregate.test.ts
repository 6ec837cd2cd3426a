import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runProblems, unionOf, type ConfigurationResult } from '../../tools/conformance/aggregate.js';
import type { ConformanceSummary, TestOutcome, Verdict } from '../../tools/conformance/parse-cunit.js';
import { parseTestList } from '../../tools/conformance/suite.js';
import { markdownRows } from '../../tools/conformance/report.js';

function summary(tests: TestOutcome[], extra: Partial<ConformanceSummary> = {}): ConformanceSummary {
  const failed = tests.filter((t) => t.verdict === 'failed').length;
  return {
    tests,
    passed: tests.filter((t) => t.verdict === 'passed').length,
    skipped: tests.filter((t) => t.verdict === 'skipped').length,
    failed,
    runs: tests.length,
    failedRuns: failed,
    cunit: { ran: tests.length, passed: tests.length - failed, failed, suitesFailed: 0 },
    suiteErrors: [],
    ...extra,
  };
}

const result = (configuration: string, verdicts: Record<string, Verdict>): ConfigurationResult => ({
  configuration,
  summary: summary(Object.entries(verdicts).map(([name, verdict]) => ({ name, verdict, ...(verdict !== 'passed' ? { reason: `${verdict} here` } : {}) }))),
});

describe('unionOf', () => {
  it('passes a test that passes in some configuration, whatever the others say', () => {
    const u = unionOf([result('default', { 'A.T': 'skipped', 'B.T': 'failed' }), result('removable', { 'A.T': 'passed', 'B.T': 'passed' })]);
    expect(u.tests.map((t) => [t.name, t.verdict, t.passedIn, t.skippedIn, t.failedIn])).toEqual([
      ['A.T', 'passed', ['removable'], ['default'], []],
      ['B.T', 'passed', ['removable'], [], ['default']],
    ]);
    expect([u.passed, u.skipped, u.failed]).toEqual([2, 0, 0]);
  });

  it('fails a test that never passes and fails somewhere; skips one only skipped; gathers the reasons', () => {
    const u = unionOf([result('a', { 'A.T': 'skipped', 'B.T': 'skipped' }), result('b', { 'A.T': 'failed', 'B.T': 'skipped' }), result('c', { 'B.T': 'skipped' })]);
    expect(u.tests.find((t) => t.name === 'A.T')).toMatchObject({ verdict: 'failed', reason: 'a: skipped here; b: failed here' });
    expect(u.tests.find((t) => t.name === 'B.T')).toMatchObject({ verdict: 'skipped', reason: 'a, b, c: skipped here' });
  });

  it('lists catalogue tests no configuration ran as not run, counted with the skipped', () => {
    const u = unionOf([result('a', { 'A.T': 'passed' })], ['A.T', 'Z.Z']);
    expect(u.tests.find((t) => t.name === 'Z.Z')?.verdict).toBe('not-run');
    expect([u.passed, u.skipped, u.failed, u.notRun]).toEqual([1, 1, 0, 1]);
  });

  it('accounts for every test exactly once, for any results', () => {
    const verdict = fc.constantFrom<Verdict>('passed', 'skipped', 'failed');
    const config = fc.dictionary(fc.constantFrom('A.1', 'A.2', 'B.1', 'B.2', 'C.1'), verdict);
    fc.assert(
      fc.property(fc.array(config, { maxLength: 6 }), fc.subarray(['A.1', 'B.2', 'D.9']), (configs, catalogue) => {
        const results = configs.map((c, i) => result(`c${i}`, c));
        const u = unionOf(results, catalogue);
        const names = new Set([...catalogue, ...configs.flatMap((c) => Object.keys(c))]);
        expect(u.tests.map((t) => t.name).sort()).toEqual([...names].sort());
        expect(u.passed + u.skipped + u.failed).toBe(names.size);
        for (const t of u.tests) {
          const anyPassed = configs.some((c) => c[t.name] === 'passed');
          expect(t.verdict === 'passed').toBe(anyPassed);
        }
      }),
    );
  });
});

describe('runProblems', () => {
  it('is empty for a clean matrix, including a configuration the target cannot express', () => {
    expect(runProblems([result('a', { 'A.T': 'passed', 'B.T': 'skipped' }), { configuration: 'replicated', unsupported: 'tgt has no replication' }])).toEqual([]);
  });

  it('reports each CUnit failure, except a documented spec conflict', () => {
    const r: ConfigurationResult = {
      configuration: 'default',
      summary: summary([
        { name: 'A.T', verdict: 'failed', reason: 'wrong sense' },
        { name: 'B.T', verdict: 'failed', reason: 'by the book', specConflict: 'SPC-4 says so' },
      ]),
    };
    expect(runProblems([r])).toEqual(['default: A.T failed: wrong sense']);
  });

  it('reports a configuration that did not run, a killed suite, a suite that could not start, and a parse CUnit disagrees with', () => {
    const killed: ConfigurationResult = { configuration: 'k', summary: summary([], { cunit: undefined }), error: 'iscsi-test-cu was killed' };
    const problems = runProblems([
      { configuration: 'x', error: 'target did not start' },
      killed,
      { configuration: 's', summary: summary([], { suiteErrors: ['Read10'] }) },
      { configuration: 'm', summary: summary([{ name: 'A.T', verdict: 'passed' }], { runs: 2 }) },
    ]);
    expect(problems).toEqual([
      'x: target did not start',
      'k: iscsi-test-cu was killed',
      'k: no CUnit Run Summary (iscsi-test-cu did not finish)',
      's: suite Read10 could not be initialised',
      'm: parsed 2 runs (0 failed) but CUnit counted 1 (0 failed)',
    ]);
  });
});

describe('parseTestList', () => {
  it('reads SUITE.TEST from the ALL family of iscsi-test-cu --list', () => {
    const list = ['ALL', 'ALL.Read10', 'ALL.Read10.Simple', 'ALL.Sanitize.Reset', 'SCSI.Read10.Simple', 'iSCSI.iSCSITMF.AbortTaskSimpleAsync', ''].join('\n');
    expect(parseTestList(list)).toEqual(['Read10.Simple', 'Sanitize.Reset']);
  });
});

describe('markdownRows', () => {
  it('writes one table row per configuration, n/a where the target cannot express it', () => {
    const rows = markdownRows([{ ...result('default', { 'A.T': 'passed', 'B.T': 'skipped' }), seconds: 41.6 }, { configuration: 'replicated', unsupported: 'tgt has no replication' }]);
    expect(rows).toEqual(['| default | 1 | 1 | 0 | 2 run, 42 s |', '| replicated | n/a | n/a | n/a | tgt has no replication |']);
  });
});
