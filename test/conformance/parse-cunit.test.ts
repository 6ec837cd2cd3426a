import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCunitVerbose, withSpecConflicts } from '../../tools/conformance/parse-cunit.js';
import { LOGGED_FAILURE_NOTES } from '../../tools/conformance/known-outcomes.js';

const tgtOutput = readFileSync(new URL('./fixtures/tgt-1.0.85-verbose.txt', import.meta.url), 'utf8');

/** One test run as CUnit's verbose Basic interface prints it. */
const run = (suite: string, test: string, logged: string[], verdict: 'passed' | 'FAILED' | null, asserts: string[] = []) =>
  [`Suite: ${suite}`, `  Test: ${test} ...${logged.length ? `    ${logged.join('\n    ')}\n` : ''}${verdict ?? ''}`, ...asserts].join('\n');

describe('parseCunitVerbose: CUnit decides pass and fail', () => {
  it('reproduces tgt 1.0.85 by CUnit verdict, and agrees with its Run Summary', () => {
    const s = parseCunitVerbose(tgtOutput);
    expect(s.tests.length).toBe(230);
    // The strict counting that also failed logged [FAILED] lines gave 157 / 62 / 11.
    expect([s.passed, s.skipped, s.failed]).toEqual([160, 62, 8]);
    expect(s.cunit).toEqual({ ran: 615, passed: 598, failed: 17, suitesFailed: 0 });
    expect([s.runs, s.failedRuns]).toEqual([615, 17]);
  });

  it('keeps a [FAILED] line logged in a test CUnit passed as a note, not a failure', () => {
    const t = parseCunitVerbose(tgtOutput).tests.find((x) => x.name === 'WriteSame10.UnmapVPD');
    expect(t).toMatchObject({ verdict: 'passed', loggedFailure: expect.stringContaining('WRITESAME10 command failed') });
  });

  it('explains logged [FAILED] lines that a correct target causes', () => {
    const t = parseCunitVerbose(run('Reserve6', 'LUNReset', ['[FAILED] RESERVE6 command: failed with sense'], 'passed')).tests[0]!;
    expect(t).toMatchObject({ verdict: 'passed', loggedFailure: 'RESERVE6 command: failed with sense', note: LOGGED_FAILURE_NOTES['Reserve6.LUNReset'] });
  });

  it('fails a test CUnit fails, with its first logged [FAILED] or else its first assertion', () => {
    const logged = parseCunitVerbose(run('A', 'T', ['[FAILED] READ10 said GOOD'], 'FAILED', ['    1. x.c:1  - CU_ASSERT(0)'])).tests[0]!;
    expect(logged).toEqual({ name: 'A.T', verdict: 'failed', reason: 'READ10 said GOOD' });
    const asserted = parseCunitVerbose(run('A', 'T', [], 'FAILED', ['    1. x.c:1  - CU_ASSERT(0)'])).tests[0]!;
    expect(asserted).toEqual({ name: 'A.T', verdict: 'failed', reason: '1. x.c:1  - CU_ASSERT(0)' });
  });

  it('fails a test that never got a verdict (iscsi-test-cu stopped)', () => {
    const s = parseCunitVerbose(run('A', 'T', ['sending'], null));
    expect(s.tests[0]).toMatchObject({ verdict: 'failed', reason: expect.stringContaining('no CUnit verdict') });
    expect(s.cunit).toBeUndefined();
  });

  it('does not charge a test with what a suite cleanup printed after its verdict', () => {
    const out = ['Suite: Reserve6', '  Test: LUNReset ...passed    [FAILED] PRIN command: failed with sense', '    [FAILED] PRIN command again', 'Suite: B', '  Test: T ...passed'].join('\n');
    expect(parseCunitVerbose(out).tests.map((t) => [t.name, t.verdict, t.loggedFailure])).toEqual([
      ['B.T', 'passed', undefined],
      ['Reserve6.LUNReset', 'passed', undefined],
    ]);
  });

  it('counts a passed test that logged [SKIPPED] as skipped, with the reason', () => {
    const t = parseCunitVerbose(tgtOutput).tests.find((x) => x.name === 'CompareAndWrite.Simple');
    expect(t).toMatchObject({ verdict: 'skipped', reason: 'COMPAREANDWRITE is not implemented.' });
  });

  it('a test made of parts is skipped only when every part was, or when it skipped as a whole', () => {
    const part = (what: string) => `[SKIPPED] SANITIZE ${what} is not implemented according to REPORT_SUPPORTED_OPCODES.`;
    const one = parseCunitVerbose(run('Sanitize', 'Readonly', [part('CRYPTO_ERASE')], 'passed')).tests[0]!;
    expect(one).toMatchObject({ verdict: 'passed', note: expect.stringContaining('partly skipped') });
    const all = parseCunitVerbose(run('Sanitize', 'Readonly', [part('OVERWRITE'), part('BLOCK_ERASE'), part('CRYPTO_ERASE')], 'passed')).tests[0]!;
    expect(all.verdict).toBe('skipped');
    const whole = parseCunitVerbose(run('Sanitize', 'Reservations', ['[SKIPPED] --allow-sanitize flag is not set. Skipping test.'], 'passed')).tests[0]!;
    expect(whole.verdict).toBe('skipped');
    // Other tests get no such allowance.
    expect(parseCunitVerbose(run('Sanitize', 'Reset', [part('OVERWRITE')], 'passed')).tests[0]!.verdict).toBe('skipped');
  });

  it('takes the worst verdict when a test runs in several families', () => {
    const out = [run('A', 'T', [], 'passed'), run('A', 'T', ['[SKIPPED] no'], 'passed'), run('A', 'T', [], 'FAILED', ['    1. x.c:1  - CU_ASSERT(0)'])].join('\n');
    expect(parseCunitVerbose(out).tests).toEqual([{ name: 'A.T', verdict: 'failed', reason: '1. x.c:1  - CU_ASSERT(0)' }]);
  });

  it('marks a documented spec conflict only in the configurations it is documented for', () => {
    const s = parseCunitVerbose(run('GetLBAStatus', 'UnmapSingle', [], 'FAILED', ['    1. t.c:135  - CU_FAIL("lba offset")']));
    expect(withSpecConflicts(s, 'physical-4k').tests[0]).toMatchObject({ verdict: 'failed', specConflict: expect.stringContaining('LBPPB') });
    expect(withSpecConflicts(s, 'default').tests[0]!.specConflict).toBeUndefined();
    const passed = parseCunitVerbose(run('GetLBAStatus', 'UnmapSingle', [], 'passed'));
    expect(withSpecConflicts(passed, 'physical-4k').tests[0]!.specConflict).toBeUndefined();
    const ws = parseCunitVerbose(run('WriteSame16', 'Unmap', [], 'FAILED', ['    1. test_writesame16_unmap.c:175  - CU_ASSERT_EQUAL(_r,0)']));
    expect(withSpecConflicts(ws, 'logical-4k').tests[0]).toMatchObject({ verdict: 'failed', specConflict: expect.stringContaining('MAXIMUM TRANSFER LENGTH') });
    expect(withSpecConflicts(ws, 'default').tests[0]!.specConflict).toBeUndefined();
  });

  it('reads suite initialization failures', () => {
    const s = parseCunitVerbose("Suite: A\n\nWARNING - Suite initialization failed for 'A'.\n");
    expect(s.suiteErrors).toEqual(['A']);
  });
});

/** A random test run and how CUnit would print it. */
const runArb = fc.record({
  suite: fc.constantFrom('Read10', 'Sanitize', 'iSCSITMF', 'Inquiry'),
  test: fc.constantFrom('Simple', 'Reset', 'Readonly', 'Residuals'),
  verdict: fc.constantFrom('passed', 'FAILED') as fc.Arbitrary<'passed' | 'FAILED'>,
  skipped: fc.boolean(),
  loggedFailure: fc.boolean(),
  chatter: fc.array(fc.stringMatching(/^[A-Za-z0-9 ,:()]{0,30}$/), { maxLength: 3 }),
});

describe('parseCunitVerbose properties', () => {
  it('recovers every run of any CUnit-shaped output, and its counts match CUnit’s summary', () => {
    fc.assert(
      fc.property(fc.array(runArb, { maxLength: 30 }), (runs) => {
        const text = runs
          .map((r) => {
            const logged = [...r.chatter, ...(r.skipped ? ['[SKIPPED] not here'] : []), ...(r.loggedFailure ? ['[FAILED] odd answer'] : [])];
            return run(r.suite, r.test, logged, r.verdict, r.verdict === 'FAILED' ? ['    1. t.c:9  - CU_ASSERT(0)'] : []);
          })
          .join('\n');
        const failedRuns = runs.filter((r) => r.verdict === 'FAILED').length;
        const summary = `\nRun Summary:    Type  Total    Ran Passed Failed Inactive\n               tests ${runs.length} ${runs.length} ${runs.length - failedRuns} ${failedRuns} 0\n`;
        const s = parseCunitVerbose(text + summary);
        expect(s.runs).toBe(runs.length);
        expect(s.failedRuns).toBe(failedRuns);
        expect(s.cunit).toMatchObject({ ran: runs.length, failed: failedRuns });
        // Per unique test: failed if any run failed, else skipped if any run skipped, else passed.
        const expected = new Map<string, string>();
        for (const r of runs) {
          const name = `${r.suite}.${r.test}`;
          const v = r.verdict === 'FAILED' ? 'failed' : r.skipped ? 'skipped' : 'passed';
          const prior = expected.get(name);
          const rank = (x?: string) => (x === 'failed' ? 2 : x === 'skipped' ? 1 : x === 'passed' ? 0 : -1);
          if (rank(v) > rank(prior)) expected.set(name, v);
        }
        expect(new Map(s.tests.map((t) => [t.name, t.verdict]))).toEqual(expected);
        expect(s.passed + s.skipped + s.failed).toBe(s.tests.length);
      }),
    );
  });

  it('never throws on arbitrary text, and its counts always add up', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('Suite: S', '  Test: X ...', 'passed', 'FAILED', '[SKIPPED] y', 'Run Summary:', '  tests 1 1 1 0 0'))), (lines) => {
        const s = parseCunitVerbose(lines.join('\n'));
        expect(s.passed + s.skipped + s.failed).toBe(s.tests.length);
        expect(s.failedRuns).toBeLessThanOrEqual(s.runs);
      }),
    );
  });
});
