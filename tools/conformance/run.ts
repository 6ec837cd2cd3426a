/**
 * `npm run test:conformance`: runs libiscsi's iscsi-test-cu against every configuration of
 * the matrix (matrix.ts), one after another, each on its own target(s) and free ports; prints
 * unique tests passed / skipped / failed per configuration and overall, and fails on any CUnit
 * failure that is not a documented spec conflict. `-- --target tgt` runs tgtd through the
 * configurations it can express.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { toolArgs } from '../harness/tool-args.js';
import { runProblems, unionOf, type ConfigurationResult } from './aggregate.js';
import { MATRIX, configurationNamed } from './matrix.js';
import { markdownRows, reportLines } from './report.js';
import { runConfiguration } from './run-configuration.js';
import { listIscsiTestCu } from './suite.js';

const argv = await toolArgs()
  .option('target', { choices: ['tandem', 'tgt'] as const, default: 'tandem' as const })
  .option('only', { type: 'string', array: true, describe: `configurations to run (default: all of ${MATRIX.map((m) => m.name).join(', ')})` })
  .option('json', { type: 'string', describe: 'write per-configuration and overall results here' })
  .option('raw-dir', { type: 'string', describe: 'write each configuration\'s iscsi-test-cu output into this directory' })
  .option('keep-logs', { type: 'boolean', default: false, describe: 'keep the target logs even when nothing failed' })
  .parseAsync();

const configurations = argv.only?.length ? argv.only.map(configurationNamed) : MATRIX;
if (argv['raw-dir']) mkdirSync(argv['raw-dir'], { recursive: true });
const catalogue = await listIscsiTestCu();
const started = Date.now();
const results: ConfigurationResult[] = [];
for (const c of configurations) {
  console.log(`[${c.name}] ${c.description}`);
  const r = await runConfiguration(c, { target: argv.target, rawDir: argv['raw-dir'], keepLogs: argv['keep-logs'], log: (l) => console.log(l) });
  results.push(r);
}
const union = unionOf(results, catalogue);
for (const line of reportLines(argv.target, results, union, catalogue.length)) console.log(line);
console.log(`conformance matrix took ${Math.round((Date.now() - started) / 1000)} s`);
if (argv.json) {
  writeFileSync(argv.json, JSON.stringify({ target: argv.target, configurations: results, union, markdown: markdownRows(results) }, null, 2));
}
const problems = runProblems(results);
for (const p of problems) console.log(`problem: ${p}`);
process.exit(problems.length > 0 ? 1 : 0);
