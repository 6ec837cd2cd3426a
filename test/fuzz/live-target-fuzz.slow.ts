/**
 * Throws 10,000 random and mutated PDUs and CDBs at a live Tandem target in a child
 * process. The target must not crash, its RSS must stay bounded and flat, a
 * well-behaved session alongside must keep reading back what it wrote, and every
 * well-framed random CDB must get a legal answer. Replay with TANDEM_FUZZ_SEED=<seed>.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IscsiSession, parseStandardInquiry } from '../../src/initiator/index.js';
import { setLogLevel } from '../../src/util/log.js';
import {
  runCdbFuzzer,
  runFullFeatureFuzzer,
  runLoginPhaseFuzzer,
  runWellBehaved,
  sampleRss,
  type Endpoint,
  type WorkerReport,
} from './fuzz-workers.js';
import { Prng } from './prng.js';
import { startTargetChild, type TargetChild } from './target-child.js';

const SEED = Number(process.env.TANDEM_FUZZ_SEED ?? 0x5eed_f00d) >>> 0;
/** 10,000 cases in all over the four classes of the brief; TANDEM_FUZZ_SCALE multiplies them for soak runs. */
const SCALE = Number(process.env.TANDEM_FUZZ_SCALE ?? 1);
const CASES = { preLoginRandom: 2_000 * SCALE, mutatedLogin: 2_000 * SCALE, fullFeature: 4_000 * SCALE, cdbPath: 2_000 * SCALE } as const;
const TOTAL_CASES = CASES.preLoginRandom + CASES.mutatedLogin + CASES.fullFeature + CASES.cdbPath;
/** Each worker spreads its cases over this long (TANDEM_FUZZ_MS to change it). */
const FUZZ_DURATION_MS = Number(process.env.TANDEM_FUZZ_MS ?? 15_000);
const RSS_LIMIT_BYTES = 400 * 1024 * 1024;
const MIB = 1024 * 1024;

const WELL_BEHAVED_LUN = 0;
const CDB_FUZZ_LUN = 1;

describe('live target under fuzz', () => {
  let dir: string;
  let target: TargetChild;

  beforeAll(async () => {
    // Our sessions' login/logout info lines would drown the report.
    setLogLevel('warn');
    dir = mkdtempSync(join(tmpdir(), 'tandem-fuzz-'));
    target = await startTargetChild({
      iqn: 'iqn.2026-11.io.tandem:fuzz',
      images: ['lun0.img', 'lun1.img', 'lun2.img'].map((f) => join(dir, f)),
      lunSize: '64M',
      logFile: join(dir, 'target.log'),
    });
  }, 30_000);

  afterAll(async () => {
    await target?.stop();
    // TANDEM_FUZZ_KEEP=1 keeps the images and target.log for inspection.
    if (dir && !process.env.TANDEM_FUZZ_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`fuzz artefacts kept in ${dir}`);
  });

  it('survives 10,000 fuzz cases with bounded memory while a well-behaved session keeps working', async () => {
    console.log(`live fuzz seed ${SEED} (replay with TANDEM_FUZZ_SEED=${SEED})`);
    const started = Date.now();
    const endpoint: Endpoint = { host: target.host, port: target.port, iqn: target.iqn };
    const rng = new Prng(SEED);
    const rss = sampleRss(() => target.rssBytes(), 100);
    const connect = (name: string): Promise<IscsiSession> =>
      IscsiSession.connect({ host: endpoint.host, port: endpoint.port, targetName: endpoint.iqn, initiatorName: `iqn.2026-11.io.tandem:${name}`, timeouts: { commandMs: 10_000 } });

    const wellBehavedSession = await connect('well-behaved');
    const cdbSession = await connect('cdb-fuzzer');
    let stopWellBehaved!: () => void;
    const wellBehavedStop = new Promise<void>((resolve) => (stopWellBehaved = resolve));
    const wellBehaved = runWellBehaved(wellBehavedSession, WELL_BEHAVED_LUN, rng.fork(), 50, wellBehavedStop);

    const workers: Array<Promise<WorkerReport>> = [
      runLoginPhaseFuzzer(endpoint, rng.fork(), CASES.preLoginRandom / 2, 'random', FUZZ_DURATION_MS),
      runLoginPhaseFuzzer(endpoint, rng.fork(), CASES.preLoginRandom / 2, 'random', FUZZ_DURATION_MS),
      runLoginPhaseFuzzer(endpoint, rng.fork(), CASES.mutatedLogin / 2, 'login', FUZZ_DURATION_MS),
      runLoginPhaseFuzzer(endpoint, rng.fork(), CASES.mutatedLogin / 2, 'login', FUZZ_DURATION_MS),
      runFullFeatureFuzzer(endpoint, rng.fork(), CASES.fullFeature / 2, FUZZ_DURATION_MS),
      runFullFeatureFuzzer(endpoint, rng.fork(), CASES.fullFeature / 2, FUZZ_DURATION_MS),
    ];
    const cdbFuzz = runCdbFuzzer(cdbSession, CDB_FUZZ_LUN, rng.fork(), CASES.cdbPath, 2, FUZZ_DURATION_MS);
    const reports = await Promise.all(workers);
    const cdbReport = await cdbFuzz;
    const fuzzMs = Date.now() - started;
    stopWellBehaved();
    const wellBehavedReport = await wellBehaved;
    rss.stop();

    // The target must still be there and serve a brand-new session.
    const crashed = target.exited();
    let inquiryVendor: string | undefined;
    if (!crashed) {
      const fresh = await connect('after-fuzz');
      inquiryVendor = parseStandardInquiry(await fresh.inquiry(WELL_BEHAVED_LUN)).vendor;
      await fresh.logout();
    }
    await wellBehavedSession.logout().catch(() => wellBehavedSession.destroy());
    await cdbSession.logout().catch(() => cdbSession.destroy());

    const samples = rss.samples;
    const peak = Math.max(...samples);
    const mid = samples.slice(Math.floor(samples.length * 0.4), Math.floor(samples.length * 0.6));
    const tail = samples.slice(Math.floor(samples.length * 0.85));
    const midPeak = Math.max(...mid);
    const tailPeak = Math.max(...tail);
    const cases = reports.reduce((n, r) => n + r.cases, 0) + cdbReport.cases;
    console.log(
      [
        `fuzz: ${cases} cases in ${fuzzMs} ms over ${reports.reduce((n, r) => n + r.connections, 0)} raw connections`,
        `RSS: peak ${(peak / MIB).toFixed(0)} MiB, mid-run peak ${(midPeak / MIB).toFixed(0)} MiB, tail peak ${(tailPeak / MIB).toFixed(0)} MiB (${samples.length} samples)`,
        `RSS trace (MiB, every 1 s): ${samples.filter((_, i) => i % 10 === 0).map((b) => (b / MIB).toFixed(0)).join(' ')}`,
        `well-behaved: ${wellBehavedReport.ios} I/Os, ${wellBehavedReport.errors.length} errors`,
        `CDB path statuses: ${[...cdbReport.statuses].map(([s, n]) => `0x${s.toString(16)}×${n}`).join(' ')}`,
        ...reports.map((r, i) => `worker ${i}: ${r.cases} cases, ${r.connections} connections (${r.outOfStep} out of step, ${r.droppedByTarget} dropped by target), received ${[...r.received].map(([op, n]) => `0x${op.toString(16)}×${n}`).join(' ')}`),
        `connections the target left open after our FIN: ${reports.reduce((n, r) => n + r.lingering, 0)}`,
      ].join('\n'),
    );
    if (crashed) console.log(`target log tail:\n${readFileSync(target.logFile, 'utf8').slice(-4000)}`);

    expect(crashed, 'target process exited').toBeUndefined();
    expect(inquiryVendor?.trim().length, 'fresh INQUIRY after the fuzz').toBeGreaterThan(0);
    expect(cases).toBe(TOTAL_CASES);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(cdbReport.errors.slice(0, 20)).toEqual([]);
    expect(wellBehavedReport.errors).toEqual([]);
    // The well-behaved session really ran alongside (nominally 2-3 I/Os per 50 ms; allow a slow, loaded machine).
    expect(wellBehavedReport.ios).toBeGreaterThan(fuzzMs / 200);
    // A half-closed connection must be torn down, not left to accumulate.
    expect(reports.reduce((n, r) => n + r.lingering, 0)).toBeLessThan(10);
    expect(peak).toBeLessThan(RSS_LIMIT_BYTES);
    // Flat, not creeping: the last stretch may not climb far above the middle of the run.
    expect(tailPeak).toBeLessThan(Math.max(midPeak * 1.5, midPeak + 96 * MIB));
  }, 120_000);
});
