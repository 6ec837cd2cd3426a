/**
 * `npm run test:conformance`: runs libiscsi's iscsi-test-cu --dataloss against a fresh
 * Tandem LUN (or tgtd with --target tgt), prints unique tests passed / skipped / failed,
 * and fails on any failure or on fewer passes than --min-passed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXPECTED_LOGGED_FAILURES, parseCunitVerbose, type ConformanceSummary } from './parse-cunit.js';
import { startTandem, startTgt } from '../harness/target-process.js';

const argv = await yargs(hideBin(process.argv))
  .option('target', { choices: ['tandem', 'tgt'] as const, default: 'tandem' as const })
  .option('min-passed', { type: 'number', default: 157, describe: 'fail when fewer unique tests pass (tgt 1.0.85 passes 157)' })
  .option('size', { type: 'number', default: 1024 ** 3 })
  .option('json', { type: 'string', describe: 'write the per-test results here' })
  .option('raw', { type: 'string', describe: 'write iscsi-test-cu output here' })
  .option('timeout', { type: 'number', default: 1200, describe: 'seconds' })
  .strict()
  .parseAsync();

const work = mkdtempSync(join(tmpdir(), 'tandem-conformance-'));
// The default LUN, as users get it: fixed (not removable) media, thin-provisioned.
const spec = { iqn: `iqn.2026-11.io.tandem:conformance`, image: join(work, 'disk.img'), size: argv.size, logFile: join(work, 'target.log') };
const target = argv.target === 'tgt' ? await startTgt(spec) : await startTandem(spec);

let output: string;
try {
  // The second URL enables the MultipathIO tests (a second I_T nexus to the same LU).
  output = await runSuite(['--dataloss', '-v', target.url, target.url], argv.timeout * 1000);
} finally {
  await target.stop();
}
if (argv.raw) writeFileSync(argv.raw, output);

const summary = parseCunitVerbose(output);
report(summary);
if (argv.json) writeFileSync(argv.json, JSON.stringify({ target: argv.target, ...summary }, null, 2));
// The log is worth keeping after a failure; the 1 GiB image (filled by the WRITE SAME tests) is not.
rmSync(spec.image, { force: true });
if (summary.failed === 0) rmSync(work, { recursive: true, force: true });
else console.log(`target log kept in ${spec.logFile}`);

const tooFew = summary.passed < argv['min-passed'];
if (tooFew) console.log(`only ${summary.passed} unique tests passed; at least ${argv['min-passed']} required`);
const unexpected = summary.tests.filter((t) => t.verdict === 'failed' && !t.specConflict).length;
process.exit(unexpected > 0 || tooFew ? 1 : 0);

function runSuite(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // Unbuffered stdout keeps libiscsi's [FAILED]/[SKIPPED] messages next to the test that printed them.
    const child = spawn('stdbuf', ['-o0', '-e0', 'iscsi-test-cu', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => reject(new Error(`cannot run iscsi-test-cu (apt-get install libiscsi-bin): ${e.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      if (signal) reject(new Error(`iscsi-test-cu was killed (${signal}) after ${timeoutMs} ms; last output:\n${text.slice(-2000)}`));
      else resolve(text);
      void code;
    });
  });
}

function report(s: ConformanceSummary): void {
  for (const t of s.tests.filter((x) => x.verdict === 'failed')) {
    console.log(`FAILED  ${t.name}: ${t.reason ?? ''}${t.specConflict ? `\n        known spec conflict: ${t.specConflict}` : ''}`);
  }
  for (const t of s.tests.filter((x) => x.verdict === 'skipped')) console.log(`skipped ${t.name}: ${t.reason ?? ''}`);
  for (const t of s.tests.filter((x) => x.loggedFailureExpected)) {
    console.log(`note    ${t.name}: CUnit passed; its [FAILED] lines are expected failures (${EXPECTED_LOGGED_FAILURES[t.name]})`);
  }
  console.log(`iscsi-test-cu --dataloss against ${argv.target}: ${s.tests.length} unique tests`);
  const conflicts = s.tests.filter((t) => t.specConflict).length;
  console.log(`unexpected failures: ${s.failed - conflicts}; failures that are known spec conflicts: ${conflicts}`);
  console.log(`conformance: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
}
