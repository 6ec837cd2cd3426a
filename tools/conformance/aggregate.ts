/**
 * Results over the matrix: per configuration, the union (a test passes overall if it passes
 * in at least one configuration), and what makes the run fail.
 */
import type { ConformanceSummary, Verdict } from './parse-cunit.js';

export interface ConfigurationResult {
  configuration: string;
  /** Parsed iscsi-test-cu output; absent when the configuration did not run. */
  summary?: ConformanceSummary;
  /** Why the configuration could not run or finish (a target that did not start, a killed suite). */
  error?: string;
  /** The target cannot express this configuration (tgt and replication); not a failure. */
  unsupported?: string;
  seconds?: number;
}

export type UnionVerdict = Verdict | 'not-run';

export interface UnionOutcome {
  name: string;
  verdict: UnionVerdict;
  passedIn: string[];
  skippedIn: string[];
  failedIn: string[];
  /** For a test that never passed: each distinct reason, with the configurations that gave it. */
  reason?: string;
}

export interface MatrixUnion {
  tests: UnionOutcome[];
  passed: number;
  /** Skipped everywhere it ran, or run nowhere (`notRun`, included in `skipped`). */
  skipped: number;
  failed: number;
  notRun: number;
}

/** `catalogue`: every test iscsi-test-cu has (SUITE.TEST), so tests no configuration ran show up. */
export function unionOf(results: readonly ConfigurationResult[], catalogue: readonly string[] = []): MatrixUnion {
  const byName = new Map<string, UnionOutcome>();
  const entry = (name: string): UnionOutcome => {
    let u = byName.get(name);
    if (!u) byName.set(name, (u = { name, verdict: 'not-run', passedIn: [], skippedIn: [], failedIn: [] }));
    return u;
  };
  for (const name of catalogue) entry(name);
  const reasons = new Map<string, Map<string, string[]>>();
  for (const r of results) {
    for (const t of r.summary?.tests ?? []) {
      const u = entry(t.name);
      const list = t.verdict === 'passed' ? u.passedIn : t.verdict === 'skipped' ? u.skippedIn : u.failedIn;
      list.push(r.configuration);
      if (t.verdict === 'passed' || t.reason === undefined) continue;
      const byReason = reasons.get(t.name) ?? new Map<string, string[]>();
      reasons.set(t.name, byReason.set(t.reason, [...(byReason.get(t.reason) ?? []), r.configuration]));
    }
  }
  for (const u of byName.values()) {
    u.verdict = u.passedIn.length ? 'passed' : u.failedIn.length ? 'failed' : u.skippedIn.length ? 'skipped' : 'not-run';
    const why = reasons.get(u.name);
    if (u.verdict !== 'passed' && why) u.reason = [...why].map(([reason, configs]) => `${configs.join(', ')}: ${reason}`).join('; ');
  }
  const tests = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  const count = (v: UnionVerdict): number => tests.filter((t) => t.verdict === v).length;
  return { tests, passed: count('passed'), skipped: count('skipped') + count('not-run'), failed: count('failed'), notRun: count('not-run') };
}

/** Everything that fails the run: CUnit failures not documented as spec conflicts, and configurations that broke. */
export function runProblems(results: readonly ConfigurationResult[]): string[] {
  const problems: string[] = [];
  for (const r of results) {
    if (r.unsupported) continue;
    if (r.error) problems.push(`${r.configuration}: ${r.error}`);
    const s = r.summary;
    if (!s) continue;
    for (const t of s.tests) {
      if (t.verdict === 'failed' && !t.specConflict) problems.push(`${r.configuration}: ${t.name} failed: ${t.reason ?? '(no reason logged)'}`);
    }
    for (const suite of s.suiteErrors) problems.push(`${r.configuration}: suite ${suite} could not be initialised`);
    if (!s.cunit) problems.push(`${r.configuration}: no CUnit Run Summary (iscsi-test-cu did not finish)`);
    else if (s.cunit.ran !== s.runs || s.cunit.failed !== s.failedRuns) {
      problems.push(`${r.configuration}: parsed ${s.runs} runs (${s.failedRuns} failed) but CUnit counted ${s.cunit.ran} (${s.cunit.failed} failed)`);
    }
  }
  return problems;
}
