/**
 * Where a replicated write's CPU goes: 4 KiB scattered writes at QD 32 (`qemu-img bench`
 * through libiscsi) against an unreplicated LUN and against a primary mirroring onto a
 * backup (async, sync), each process's CPU time per write as Linux accounts it — the host
 * (qemu-img), the primary (its main thread and its other threads: V8's collector and
 * compiler, libuv's pool) and the backup — with their read and write system calls per
 * write. Then the floor (replication-floor.c: the send, receive and pwrite of a block with
 * no protocol) and the ratio to the unreplicated LUN a pair could reach at that floor:
 * with host, primary and backup on the same cores, IOPS ≤ cores / CPU per write.
 *
 * Run: `npm run build && node dist-tools/tools/bench/cpu-per-write.js [--writes 100000]
 * [--warm 60000] [--rounds 2] [--setups unreplicated,async,sync] [--fua] [--no-floor]
 * [--node-cores shared|separate] [--json]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toolArgs } from '../harness/tool-args.js';
import { procStat, syscallCounts, threadSplit } from './proc-usage.js';
import { runQemuImgBench, type Workload } from './qemu-img-bench.js';
import { measureFloor, type FloorResult } from './replication-floor.js';
import { SCATTER_STEP, untilContinuous, untilDrained, writeContinuousConfig } from './replication-bench.js';
import { HOST, serve, type ServeProcess } from './serve-process.js';
import { withNodeCores, type NodeCores } from './node-cores.js';

export type Setup = 'unreplicated' | 'async' | 'sync';

/** One process's share of a run, per write. */
export interface ProcessShare {
  cpuUs: number;
  userUs: number;
  systemUs: number;
  /** The main thread's part of cpuUs, and the other threads'. */
  mainUs: number;
  otherThreadsUs: number;
  readCalls: number;
  writeCalls: number;
}

export interface CpuRound {
  setup: Setup;
  round: number;
  iops: number;
  /** qemu-img's CPU per write. */
  hostUs: number;
  primary: ProcessShare;
  backup?: ProcessShare;
}

export interface CpuPerWriteResult {
  writes: number;
  warm: number;
  fua: boolean;
  cores: number;
  rounds: CpuRound[];
  floor?: FloorResult[] | { skipped: string };
}

const PRIMARY_IQN = 'iqn.2026-11.io.tandem:cpu-primary';
const BACKUP_IQN = 'iqn.2026-11.io.tandem:cpu-backup';
const SIZE = 256 * 1024 * 1024;

interface Snapshot {
  stat: ReturnType<typeof procStat>;
  threads: ReturnType<typeof threadSplit>;
  calls: ReturnType<typeof syscallCounts>;
}

const snapshot = (pid: number): Snapshot => ({ stat: procStat(pid), threads: threadSplit(pid), calls: syscallCounts(pid) });

function share(before: Snapshot, after: Snapshot, writes: number): ProcessShare {
  const per = (x: number): number => (x * 1e6) / writes;
  const userUs = per(after.stat.userSeconds - before.stat.userSeconds);
  const systemUs = per(after.stat.systemSeconds - before.stat.systemSeconds);
  return {
    cpuUs: userUs + systemUs,
    userUs,
    systemUs,
    mainUs: per(after.threads.main - before.threads.main),
    otherThreadsUs: per(after.threads.others - before.threads.others),
    readCalls: (after.calls.reads - before.calls.reads) / writes,
    writeCalls: (after.calls.writes - before.calls.writes) / writes,
  };
}

/** One scattered 4 KiB write run at QD 32, with qemu-img's CPU time. */
async function timedQemuImg(url: string, writes: number, fua: boolean): Promise<{ iops: number; hostUs: number }> {
  const w: Workload = { name: 'scattered 4 KiB writes', blockSize: 4096, count: writes, write: true, depth: 32, step: SCATTER_STEP, cache: fua ? 'writethrough' : 'none' };
  const r = await runQemuImgBench(url, w, true);
  return { iops: r.iops, hostUs: (r.cpuSeconds! * 1e6) / writes };
}

async function startSetup(work: string, setup: Setup, pinBackup: (pid: number) => void): Promise<{ primary: ServeProcess; backup?: ServeProcess; url: string; settle: () => Promise<void> }> {
  const url = (p: ServeProcess) => `iscsi://${HOST}:${p.port}/${PRIMARY_IQN}/0`;
  if (setup === 'unreplicated') {
    const primary = await serve(work, 'unreplicated', ['--iqn', PRIMARY_IQN, '--lun', `${join(work, 'unreplicated.img')},size=${SIZE}`]);
    return { primary, url: url(primary), settle: async () => undefined };
  }
  const config = writeContinuousConfig(join(work, 'primary.json'), 1024 * 1024 * 1024);
  const backup = await serve(work, `${setup}-backup`, ['--role', 'backup', '--iqn', BACKUP_IQN, '--lun', `${join(work, `${setup}-backup.img`)},size=${SIZE}`]);
  pinBackup(backup.pid);
  const primary = await serve(work, `${setup}-primary`, [
    '--role', 'primary', '--iqn', PRIMARY_IQN, '--lun', `${join(work, `${setup}-primary.img`)},size=${SIZE}`,
    '--replica', `iscsi://${HOST}:${backup.port}/${BACKUP_IQN}/0`, '--config', config, '--replication-mode', 'continuous', `--${setup}`,
  ]);
  await untilContinuous(primary.control);
  return { primary, backup, url: url(primary), settle: () => untilDrained(primary.control, 20) };
}

export interface CpuPerWriteOptions {
  writes?: number;
  warm?: number;
  rounds?: number;
  setups?: Setup[];
  fua?: boolean;
  floor?: boolean;
  /** Where the processes run (node-cores.ts). Default 'shared'. */
  nodeCores?: NodeCores;
  log?: (line: string) => void;
}

export function runCpuPerWrite(options: CpuPerWriteOptions = {}): Promise<CpuPerWriteResult> {
  return withNodeCores(options.nodeCores ?? 'shared', (pinBackup) => cpuPerWrite(options, pinBackup));
}

async function cpuPerWrite(options: CpuPerWriteOptions, pinBackup: (pid: number) => void): Promise<CpuPerWriteResult> {
  const writes = options.writes ?? 100_000;
  const warm = options.warm ?? 60_000;
  const fua = options.fua ?? false;
  const log = options.log ?? (() => undefined);
  const rounds: CpuRound[] = [];
  const work = mkdtempSync(join(tmpdir(), 'tandem-cpu-per-write-'));
  try {
    for (const setup of options.setups ?? ['unreplicated', 'async', 'sync']) {
      const s = await startSetup(work, setup, pinBackup);
      try {
        // Warm (the JIT compiles the write path during a fresh process's first seconds), in runs of at most `writes`.
        for (let left = warm; left > 0; left -= writes) {
          await timedQemuImg(s.url, Math.min(left, writes), fua);
          await s.settle();
        }
        for (let round = 1; round <= (options.rounds ?? 2); round++) {
          const before = { primary: snapshot(s.primary.pid), backup: s.backup && snapshot(s.backup.pid) };
          const run = await timedQemuImg(s.url, writes, fua);
          // The backup's share includes catching up with what the host's run left queued.
          await s.settle();
          const r: CpuRound = { setup, round, iops: run.iops, hostUs: run.hostUs, primary: share(before.primary, snapshot(s.primary.pid), writes) };
          if (s.backup && before.backup) r.backup = share(before.backup, snapshot(s.backup.pid), writes);
          rounds.push(r);
          log(formatRound(r));
        }
      } finally {
        await s.primary.stop();
        await s.backup?.stop();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const floor = options.floor === false ? undefined : measureFloor([16, 256]);
  return { writes, warm, fua, cores: availableParallelism(), rounds, floor };
}

const us = (x: number): string => x.toFixed(1);
const shareText = (s: ProcessShare): string =>
  `${us(s.cpuUs)} µs (user ${us(s.userUs)}, kernel ${us(s.systemUs)}; main thread ${us(s.mainUs)}, others ${us(s.otherThreadsUs)}; ${s.readCalls.toFixed(2)} reads, ${s.writeCalls.toFixed(2)} writes)`;

export function formatRound(r: CpuRound): string {
  const total = r.hostUs + r.primary.cpuUs + (r.backup?.cpuUs ?? 0);
  return [
    `${r.setup} round ${r.round}: ${r.iops.toFixed(0)} IOPS, ${us(total)} µs of CPU a write (${((total * r.iops) / 1e6).toFixed(2)} cores busy)`,
    `  host ${us(r.hostUs)} µs`,
    `  primary ${shareText(r.primary)}`,
    ...(r.backup ? [`  backup ${shareText(r.backup)}`] : []),
  ].join('\n');
}

export function formatCpuPerWrite(r: CpuPerWriteResult): string {
  const lines = [`CPU per write: 4 KiB${r.fua ? ' FUA' : ''} writes, scattered, QD 32, ${r.writes} timed after ${r.warm} untimed; ${r.cores} cores`];
  for (const round of r.rounds) lines.push(formatRound(round));
  if (!r.floor) return lines.join('\n');
  if ('skipped' in r.floor) return [...lines, `floor: skipped (${r.floor.skipped})`].join('\n');
  for (const f of r.floor) lines.push(`floor, ${f.batch} blocks a send: send ${f.sendUs.toFixed(2)} µs + receive and pwrite ${f.receiveUs.toFixed(2)} µs = ${(f.sendUs + f.receiveUs).toFixed(2)} µs a write`);
  const floorUs = Math.min(...r.floor.map((f) => f.sendUs + f.receiveUs));
  for (const u of r.rounds.filter((x) => x.setup === 'unreplicated')) {
    const plainUs = u.hostUs + u.primary.cpuUs;
    const ceiling = (r.cores * 1e6) / (plainUs + floorUs);
    lines.push(`ceiling, unreplicated round ${u.round}: ${r.cores} cores / (${us(plainUs)} + ${floorUs.toFixed(2)} µs) = ${ceiling.toFixed(0)} IOPS = ${(ceiling / u.iops).toFixed(2)} of its ${u.iops.toFixed(0)}`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = await toolArgs()
    .option('writes', { type: 'number', default: 100_000 })
    .option('warm', { type: 'number', default: 60_000 })
    .option('rounds', { type: 'number', default: 2 })
    .option('setups', { type: 'string', default: 'unreplicated,async,sync', describe: 'comma-separated: unreplicated, async, sync' })
    .option('fua', { type: 'boolean', default: false, describe: 'every write FUA (-t writethrough)' })
    .option('floor', { type: 'boolean', default: true, describe: 'measure the protocol-free floor (needs a C compiler)' })
    .option('node-cores', { choices: ['shared', 'separate'] as const, default: 'shared' as const, describe: 'separate: the backup alone on the last core (node-cores.ts)' })
    .option('json', { type: 'boolean', default: false })
    .check((a) => {
      const bad = a.setups.split(',').filter((s) => !['unreplicated', 'async', 'sync'].includes(s));
      if (bad.length > 0) throw new Error(`unknown setup ${bad.join(', ')}: use unreplicated, async, sync`);
      return true;
    })
    .parse();
  const result = await runCpuPerWrite({
    writes: argv.writes,
    warm: argv.warm,
    rounds: argv.rounds,
    setups: argv.setups.split(',') as Setup[],
    fua: argv.fua,
    floor: argv.floor,
    nodeCores: argv.nodeCores,
    log: argv.json ? undefined : (line) => console.error(line),
  });
  console.log(argv.json ? JSON.stringify(result, null, 2) : formatCpuPerWrite(result));
}
