/** Printing the matrix: per configuration, then the union, then what needs a reader's eye. */
import type { ConfigurationResult, MatrixUnion } from './aggregate.js';

function counts(r: ConfigurationResult): string {
  if (r.unsupported) return `n/a (${r.unsupported})`;
  const s = r.summary;
  if (!s) return `did not run: ${r.error ?? 'unknown error'}`;
  return `${s.passed} passed, ${s.skipped} skipped, ${s.failed} failed of ${s.tests.length}`;
}

export function reportLines(target: string, results: readonly ConfigurationResult[], union: MatrixUnion, catalogueSize: number): string[] {
  const lines: string[] = [];
  for (const r of results) {
    for (const t of r.summary?.tests ?? []) {
      if (t.verdict === 'failed') lines.push(`FAILED  [${r.configuration}] ${t.name}: ${t.reason ?? ''}${t.specConflict ? ` (documented spec conflict: ${t.specConflict})` : ''}`);
      if (t.verdict === 'passed' && (t.loggedFailure !== undefined || t.note)) {
        lines.push(`note    [${r.configuration}] ${t.name}: CUnit passed it${t.loggedFailure ? `; it logged "[FAILED] ${t.loggedFailure}"` : ''}${t.note ? `; ${t.note}` : ''}`);
      }
    }
  }
  for (const u of union.tests.filter((x) => x.verdict === 'failed' || x.verdict === 'skipped')) {
    const where = `${u.verdict} in ${[...u.failedIn, ...u.skippedIn].join(', ')}`;
    lines.push(`${u.verdict === 'failed' ? 'FAILED ' : 'skipped'} [overall] ${u.name}: ${where}${u.reason ? ` (${u.reason})` : ''}`);
  }
  // With --only most tests run nowhere: one line, not a page.
  const notRun = union.tests.filter((x) => x.verdict === 'not-run').map((x) => x.name);
  if (notRun.length) lines.push(`skipped [overall] ${notRun.length} tests run in no configuration: ${notRun.slice(0, 8).join(', ')}${notRun.length > 8 ? ', ...' : ''}`);
  lines.push('');
  lines.push(`iscsi-test-cu against ${target}, per configuration (unique tests, CUnit's verdict):`);
  const width = Math.max(...results.map((r) => r.configuration.length));
  for (const r of results) {
    const time = r.seconds !== undefined ? ` [${Math.round(r.seconds)} s]` : '';
    lines.push(`  ${r.configuration.padEnd(width)}  ${counts(r)}${time}`);
  }
  lines.push(
    `overall (a test passes if it passes in some configuration): ${union.passed} passed, ${union.skipped} skipped${union.notRun ? ` (${union.notRun} run nowhere)` : ''}, ${union.failed} failed of ${catalogueSize}`,
  );
  return lines;
}

/** A Markdown table of one target's matrix (docs/conformance.md). */
export function markdownRows(results: readonly ConfigurationResult[]): string[] {
  return results.map((r) => {
    if (r.unsupported) return `| ${r.configuration} | n/a | n/a | n/a | ${r.unsupported} |`;
    const s = r.summary;
    if (!s) return `| ${r.configuration} | – | – | – | did not run: ${r.error ?? ''} |`;
    return `| ${r.configuration} | ${s.passed} | ${s.skipped} | ${s.failed} | ${s.tests.length} run${r.seconds !== undefined ? `, ${Math.round(r.seconds)} s` : ''} |`;
  });
}
