/**
 * Parses `iscsi-test-cu -v` output into unique tests. The suite runs each test under
 * several families (ALL, SCSI, iSCSI), so one test may appear more than once: it counts
 * as failed if any run failed, skipped if any run skipped, passed otherwise.
 */

export type Verdict = 'passed' | 'skipped' | 'failed';

export interface TestOutcome {
  name: string;
  verdict: Verdict;
  /** The first [SKIPPED] or [FAILED] message, explaining the verdict. */
  reason?: string;
}

export interface ConformanceSummary {
  tests: TestOutcome[];
  passed: number;
  skipped: number;
  failed: number;
}

const SEVERITY: Record<Verdict, number> = { passed: 0, skipped: 1, failed: 2 };

export function parseCunitVerbose(output: string): ConformanceSummary {
  const byName = new Map<string, TestOutcome>();
  let suite = '';
  let current: { name: string; text: string[] } | undefined;

  const finish = (): void => {
    if (!current) return;
    const outcome = judge(current.name, current.text);
    const prior = byName.get(outcome.name);
    if (!prior || SEVERITY[outcome.verdict] > SEVERITY[prior.verdict]) byName.set(outcome.name, outcome);
    current = undefined;
  };

  for (const line of output.split('\n')) {
    const suiteMatch = /^Suite: (.+?)\s*$/.exec(line);
    if (suiteMatch) {
      finish();
      suite = suiteMatch[1]!;
      continue;
    }
    const testMatch = /^\s+Test: (\S+) \.\.\.(.*)$/.exec(line);
    if (testMatch) {
      finish();
      current = { name: `${suite}.${testMatch[1]}`, text: [testMatch[2]!] };
      continue;
    }
    if (/^Run Summary:/.test(line)) {
      finish();
      continue;
    }
    current?.text.push(line);
  }
  finish();

  const tests = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    tests,
    passed: tests.filter((t) => t.verdict === 'passed').length,
    skipped: tests.filter((t) => t.verdict === 'skipped').length,
    failed: tests.filter((t) => t.verdict === 'failed').length,
  };
}

function judge(name: string, text: string[]): TestOutcome {
  const joined = text.join('\n');
  // CUnit prints its own verdict, "passed" or "FAILED", after any messages the test logged.
  const cunitFailed = text.some((l) => /(^|\.\.\.|\s)FAILED\s*$/.test(l) && !/\[FAILED\]/.test(l)) || /^FAILED$/m.test(joined);
  const failMessage = /\[FAILED\]\s*(.*)/.exec(joined)?.[1];
  // A logged [FAILED] counts even when CUnit's own verdict is "passed": libiscsi logs some
  // wrong answers without asserting on them, and the tgt baseline counts them.
  if (cunitFailed || failMessage !== undefined) {
    return { name, verdict: 'failed', reason: failMessage ?? firstAssertion(text) };
  }
  const skip = /\[SKIPPED\]\s*(.*)/.exec(joined);
  if (skip) return { name, verdict: 'skipped', reason: skip[1]!.trim() };
  return { name, verdict: 'passed' };
}

function firstAssertion(text: string[]): string | undefined {
  return text.find((l) => /^\s+\d+\. /.test(l))?.trim();
}
