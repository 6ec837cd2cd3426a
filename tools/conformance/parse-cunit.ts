/**
 * Parses `iscsi-test-cu -v` output into unique tests, judged by CUnit's own verdict: the
 * "passed" or "FAILED" CUnit prints for each test run. Lines the test logged before its
 * verdict add information: a `[SKIPPED]` line makes a passed run a skip (libiscsi skips by
 * logging it and calling CU_PASS), a `[FAILED]` line in a passed run is kept as a note.
 * A test that runs under several families (ALL, SCSI, LINUX, iSCSI) counts once, with its
 * worst run: failed, then skipped, then passed.
 */
import { LOGGED_FAILURE_NOTES, PARTIAL_SKIPS, SPEC_CONFLICTS } from './known-outcomes.js';

export type Verdict = 'passed' | 'skipped' | 'failed';

export interface TestOutcome {
  /** SUITE.TEST, e.g. "Sanitize.Overwrite". */
  name: string;
  verdict: Verdict;
  /** Why it failed (the first [FAILED] message or CUnit assertion) or was skipped (the [SKIPPED] message). */
  reason?: string;
  /** CUnit passed the test, yet it logged this [FAILED] line (with LOGGED_FAILURE_NOTES' explanation, if any, in `note`). */
  loggedFailure?: string;
  /** Why a logged [FAILED] or a partial [SKIPPED] does not change the verdict. */
  note?: string;
  /** A CUnit failure documented as a conflict with the standards: reported, does not fail the run. */
  specConflict?: string;
}

/** CUnit's own count of test runs ("Run Summary", row "tests"), to cross-check the parse. */
export interface CunitRunSummary {
  ran: number;
  passed: number;
  failed: number;
  /** Suites whose initialization failed (their tests did not run). */
  suitesFailed: number;
}

export interface ConformanceSummary {
  tests: TestOutcome[];
  passed: number;
  skipped: number;
  failed: number;
  /** Test runs parsed (a test under three families is three runs). */
  runs: number;
  failedRuns: number;
  /** Absent when the output has no Run Summary (iscsi-test-cu stopped early). */
  cunit?: CunitRunSummary;
  /** Suites CUnit could not initialise (a login failed, the LU was unusable). */
  suiteErrors: string[];
}

const SEVERITY: Record<Verdict, number> = { passed: 0, skipped: 1, failed: 2 };

/** CUnit's verdict: "passed"/"FAILED" right after "Test: X ..." or at the start of a line. */
const VERDICT = /(?:^|\.\.\.)(passed|FAILED)(?=\s|$)/;

export function parseCunitVerbose(output: string): ConformanceSummary {
  const byName = new Map<string, TestOutcome>();
  const suiteErrors: string[] = [];
  let suite = '';
  let runs = 0;
  let failedRuns = 0;
  let current: { name: string; before: string[]; verdict?: 'passed' | 'FAILED'; after: string[] } | undefined;
  let cunit: CunitRunSummary | undefined;
  let inSummary = false;

  const finish = (): void => {
    if (!current) return;
    const outcome = judge(current.name, current.before, current.verdict, current.after);
    runs++;
    if (outcome.verdict === 'failed') failedRuns++;
    const prior = byName.get(outcome.name);
    if (!prior || SEVERITY[outcome.verdict] > SEVERITY[prior.verdict]) byName.set(outcome.name, outcome);
    current = undefined;
  };

  for (const line of output.split('\n')) {
    if (inSummary) {
      cunit = readSummaryRow(line, cunit);
      continue;
    }
    const suiteMatch = /^Suite: (.+?)\s*$/.exec(line);
    if (suiteMatch) {
      finish();
      suite = suiteMatch[1]!;
      continue;
    }
    const initFailed = /Suite initialization failed for '([^']+)'/.exec(line);
    if (initFailed) suiteErrors.push(initFailed[1]!);
    const testMatch = /^\s+Test: (\S+) \.\.\.(.*)$/.exec(line);
    if (testMatch) {
      finish();
      current = { name: `${suite}.${testMatch[1]}`, before: [], after: [] };
      take(current, `...${testMatch[2]!}`);
      continue;
    }
    if (/^Run Summary:/.test(line)) {
      finish();
      inSummary = true;
      continue;
    }
    if (current) take(current, line);
  }
  finish();

  const tests = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    tests,
    passed: tests.filter((t) => t.verdict === 'passed').length,
    skipped: tests.filter((t) => t.verdict === 'skipped').length,
    failed: tests.filter((t) => t.verdict === 'failed').length,
    runs,
    failedRuns,
    ...(cunit ? { cunit } : {}),
    suiteErrors,
  };
}

/** Files a line of a test's output before or after CUnit's verdict; the first verdict wins. */
function take(t: { before: string[]; verdict?: 'passed' | 'FAILED'; after: string[] }, line: string): void {
  if (t.verdict) {
    t.after.push(line);
    return;
  }
  const m = VERDICT.exec(line);
  if (!m) {
    t.before.push(line);
    return;
  }
  t.before.push(line.slice(0, m.index));
  t.verdict = m[1] as 'passed' | 'FAILED';
  // What follows the verdict on its line is output of whatever ran next (a suite cleanup).
  t.after.push(line.slice(m.index + m[0].length));
}

function judge(name: string, before: string[], verdict: 'passed' | 'FAILED' | undefined, after: string[]): TestOutcome {
  const logged = before.join('\n');
  const failMessage = /\[FAILED\]\s*(.*)/.exec(logged)?.[1]?.trim();
  if (verdict === undefined) {
    return { name, verdict: 'failed', reason: 'no CUnit verdict: iscsi-test-cu stopped during this test' };
  }
  if (verdict === 'FAILED') {
    const reason = failMessage ?? after.find((l) => /^\s+\d+\. /.test(l))?.trim();
    return { name, verdict: 'failed', ...(reason ? { reason } : {}) };
  }
  const skips = [...logged.matchAll(/\[SKIPPED\]\s*(.*)/g)].map((m) => m[1]!.trim());
  const partial = PARTIAL_SKIPS[name];
  const notes: string[] = [];
  if (skips.length > 0) {
    const whole = !partial || skips.length >= partial.parts || skips.some((m) => !partial.part.test(m));
    if (whole) return { name, verdict: 'skipped', reason: skips[0]! };
    notes.push(`partly skipped (${skips.join('; ')}): ${partial.why}`);
  }
  if (failMessage !== undefined && LOGGED_FAILURE_NOTES[name]) notes.push(LOGGED_FAILURE_NOTES[name]);
  return {
    name,
    verdict: 'passed',
    ...(failMessage !== undefined ? { loggedFailure: failMessage } : {}),
    ...(notes.length ? { note: notes.join(' ') } : {}),
  };
}

function readSummaryRow(line: string, prior: CunitRunSummary | undefined): CunitRunSummary | undefined {
  const tests = /^\s*tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
  const suites = /^\s*suites\s+(\d+)\s+(\d+)\s+n\/a\s+(\d+)\s+(\d+)\s*$/.exec(line);
  const base = prior ?? { ran: 0, passed: 0, failed: 0, suitesFailed: 0 };
  if (tests) return { ...base, ran: Number(tests[2]), passed: Number(tests[3]), failed: Number(tests[4]) };
  if (suites) return { ...base, suitesFailed: Number(suites[3]) };
  return prior;
}

/** Marks the failures SPEC_CONFLICTS documents for `configuration` (they do not fail the run). */
export function withSpecConflicts(summary: ConformanceSummary, configuration: string): ConformanceSummary {
  const tests = summary.tests.map((t) => {
    const conflict = SPEC_CONFLICTS[t.name];
    return t.verdict === 'failed' && conflict?.configurations.includes(configuration) ? { ...t, specConflict: conflict.why } : t;
  });
  return { ...summary, tests };
}
