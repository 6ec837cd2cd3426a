/**
 * The concurrent actors of the live fuzz run: raw fuzzers for each case class, the
 * random-CDB session, the well-behaved session and the RSS sampler. Each is a loop with
 * every wait bounded, reporting what it saw instead of throwing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { IscsiSession } from '../../src/initiator/index.js';
import { fieldBytes, fuzzCdb } from './cdb-generator.js';
import { fullFeatureCase, type SessionCursor } from './full-feature-cases.js';
import { illegalAnswer } from './legal-answer.js';
import { FUZZ_INITIATOR_NAME, mutatedLoginRequest, randomPreLoginBytes, type LoginIdentity } from './login-cases.js';
import type { Prng } from './prng.js';
import { RawConnection } from './raw-connection.js';

export interface Endpoint {
  host: string;
  port: number;
  iqn: string;
}

export interface WorkerReport {
  cases: number;
  connections: number;
  /** Connections the target had not closed within the bound after we half-closed. */
  lingering: number;
  /** Problems that fail the test. */
  errors: string[];
  /** Target PDUs received, by opcode. */
  received: Map<number, number>;
  /** Full-feature connections: ended by us after a case that broke framing, or closed by the target. */
  outOfStep: number;
  droppedByTarget: number;
}

function newReport(): WorkerReport {
  return { cases: 0, connections: 0, lingering: 0, errors: [], received: new Map(), outOfStep: 0, droppedByTarget: 0 };
}

function tally(report: WorkerReport, conn: RawConnection): void {
  for (const [opcode, n] of conn.received) report.received.set(opcode, (report.received.get(opcode) ?? 0) + n);
}

const SEND_TIMEOUT_MS = 3_000;
const LOGIN_TIMEOUT_MS = 5_000;
const FINISH_TIMEOUT_MS = 2_000;
/** Full-feature cases per connection before we hang up and log in afresh. */
const CASES_PER_SESSION = 150;

/**
 * Spreads a worker's cases evenly over `durationMs`, so memory is sampled over a run long
 * enough to show a trend and the target answers instead of just absorbing a burst.
 */
export class Pacer {
  private readonly start = Date.now();

  constructor(
    private readonly count: number,
    private readonly durationMs: number,
  ) {}

  async before(caseIndex: number): Promise<void> {
    const due = this.start + (caseIndex * this.durationMs) / this.count;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
  }
}

function fuzzIsid(rng: Prng): Buffer {
  const isid = rng.bytes(6);
  isid[0] = 0x80 | (isid[0]! & 0x3f);
  return isid;
}

function identity(endpoint: Endpoint, rng: Prng): LoginIdentity {
  return { targetName: endpoint.iqn, initiatorName: FUZZ_INITIATOR_NAME, isid: fuzzIsid(rng) };
}

/** Classes 1 and 2: one connection per case, opened, fed, half-closed. */
export async function runLoginPhaseFuzzer(endpoint: Endpoint, rng: Prng, count: number, kind: 'random' | 'login', durationMs: number): Promise<WorkerReport> {
  const report = newReport();
  const pacer = new Pacer(count, durationMs);
  while (report.cases < count) {
    await pacer.before(report.cases);
    const bytes = kind === 'random' ? randomPreLoginBytes(rng) : mutatedLoginRequest(identity(endpoint, rng), rng);
    let conn: RawConnection;
    try {
      conn = await RawConnection.open(endpoint.host, endpoint.port, SEND_TIMEOUT_MS);
    } catch (e) {
      report.errors.push(`${kind} case ${report.cases}: connect failed: ${(e as Error).message}`);
      return report;
    }
    report.connections++;
    await conn.send(bytes, SEND_TIMEOUT_MS);
    report.cases++;
    if (!(await conn.finish(FINISH_TIMEOUT_MS))) report.lingering++;
    tally(report, conn);
  }
  return report;
}

/** Class 3: logged-in connections fed mutated full-feature PDUs, reconnecting whenever one ends. */
export async function runFullFeatureFuzzer(endpoint: Endpoint, rng: Prng, count: number, durationMs: number): Promise<WorkerReport> {
  const report = newReport();
  const pacer = new Pacer(count, durationMs);
  let loginFailures = 0;
  while (report.cases < count) {
    let conn: RawConnection;
    try {
      conn = await RawConnection.open(endpoint.host, endpoint.port, SEND_TIMEOUT_MS);
    } catch (e) {
      report.errors.push(`full-feature case ${report.cases}: connect failed: ${(e as Error).message}`);
      return report;
    }
    report.connections++;
    const session = await conn.login(identity(endpoint, rng), LOGIN_TIMEOUT_MS);
    if (!session) {
      conn.destroy();
      // A correct login must work while the target is under fuzz; a few misses mean it does not.
      if (++loginFailures > 3) {
        report.errors.push(`full-feature: ${loginFailures} correct logins failed`);
        return report;
      }
      continue;
    }
    const cursor: SessionCursor = { cmdSN: session.cmdSN, expStatSN: session.expStatSN, nextItt: 1, recentItts: [] };
    for (let sent = 0; sent < CASES_PER_SESSION && report.cases < count && !conn.closed; sent++) {
      await pacer.before(report.cases);
      // Follow the target's window and StatSN as a real initiator would.
      if (conn.expCmdSN !== undefined) cursor.cmdSN = conn.expCmdSN;
      if (conn.statSN !== undefined) cursor.expStatSN = (conn.statSN + 1) >>> 0;
      const inStep = await conn.send(fullFeatureCase(rng, cursor), SEND_TIMEOUT_MS);
      report.cases++;
      if (!inStep) {
        report.outOfStep++;
        break;
      }
    }
    if (conn.closed) report.droppedByTarget++;
    // Half the sessions end politely (FIN), half vanish mid-flight (RST).
    if (rng.chance(0.5)) {
      if (!(await conn.finish(FINISH_TIMEOUT_MS))) report.lingering++;
    } else {
      conn.destroy();
    }
    tally(report, conn);
  }
  return report;
}

/** Class 4: random CDBs through the well-formed path; every answer must be legal and timely. */
export async function runCdbFuzzer(
  session: IscsiSession,
  lun: number,
  rng: Prng,
  count: number,
  lanes: number,
  durationMs: number,
): Promise<WorkerReport & { statuses: Map<number, number> }> {
  const report = { ...newReport(), connections: 1, statuses: new Map<number, number>() };
  const lane = async (laneRng: Prng, share: number): Promise<void> => {
    const pacer = new Pacer(share, durationMs);
    for (let i = 0; i < share; i++) {
      await pacer.before(i);
      const cdb = fuzzCdb(laneRng);
      const withData = laneRng.chance(0.35);
      const dataOut = withData ? fieldBytes(laneRng, laneRng.pick([8, 24, 512, 4096, laneRng.below(16384) + 1])) : undefined;
      const dataInLength = !withData || laneRng.chance(0.05) ? laneRng.pick([0, 0, 8, 512, 4096, 65536, laneRng.below(65536)]) : 0;
      report.cases++;
      try {
        const result = await session.command({ lun, cdb, ...(dataOut ? { dataOut } : {}), dataInLength, timeoutMs: 10_000 });
        report.statuses.set(result.status, (report.statuses.get(result.status) ?? 0) + 1);
        const problem = illegalAnswer(result);
        if (problem) report.errors.push(`CDB ${cdb.toString('hex')}: ${problem}`);
      } catch (e) {
        report.errors.push(`CDB ${cdb.toString('hex')} (out ${dataOut?.length ?? 0}, in ${dataInLength}): ${(e as Error).name}: ${(e as Error).message}`);
        if (!session.isOpen) return;
      }
    }
  };
  const shares = Array.from({ length: lanes }, (_, i) => Math.floor(count / lanes) + (i < count % lanes ? 1 : 0));
  await Promise.all(shares.map((share) => lane(rng.fork(), share)));
  return report;
}

export interface WellBehavedReport {
  ios: number;
  errors: string[];
}

/**
 * Writes a fresh 4 KiB pattern, reads it back and compares, every `intervalMs`, until
 * `stop` resolves. Cycles over 64 extents so reads also cover data written long ago.
 */
export async function runWellBehaved(session: IscsiSession, lun: number, rng: Prng, intervalMs: number, stop: Promise<void>): Promise<WellBehavedReport> {
  const report: WellBehavedReport = { ios: 0, errors: [] };
  let stopped = false;
  void stop.then(() => (stopped = true));
  const blocks = 8;
  const written = new Map<number, Buffer>();
  for (let i = 0; !stopped; i++) {
    const lba = (i % 64) * blocks;
    try {
      const previous = written.get(lba);
      if (previous) {
        const before = await session.read16(lun, lba, blocks);
        if (!before.equals(previous)) report.errors.push(`LBA ${lba}: data written earlier changed`);
      }
      const data = rng.bytes(blocks * 512);
      await session.write16(lun, lba, data);
      written.set(lba, data);
      const back = await session.read16(lun, lba, blocks);
      if (!back.equals(data)) report.errors.push(`LBA ${lba}: read back differs from what was written`);
      report.ios += previous ? 3 : 2;
    } catch (e) {
      report.errors.push(`LBA ${lba}: ${(e as Error).name}: ${(e as Error).message}`);
      if (!session.isOpen) return report;
    }
    await Promise.race([sleep(intervalMs), stop]);
  }
  return report;
}

/** Samples a process's RSS every `intervalMs` until stopped. */
export function sampleRss(read: () => number | undefined, intervalMs: number): { samples: number[]; stop(): void } {
  const samples: number[] = [];
  const take = (): void => {
    const rss = read();
    if (rss !== undefined) samples.push(rss);
  };
  take();
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return { samples, stop: () => clearInterval(timer) };
}
