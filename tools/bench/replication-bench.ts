/**
 * The replication benchmark: 4 KiB writes at queue depth 32 (`qemu-img bench` through
 * libiscsi) — sequential, scattered over the volume, and scattered FUA writes — against an
 * unreplicated Tandem LUN and against a primary mirroring onto a backup in synchronous and
 * in asynchronous continuous mode, reported as ratios to the unreplicated LUN in the same
 * round; then the bytes a delta pass puts on the wire (counted by a TCP
 * proxy between primary and backup) against distinct dirty chunks × chunk size.
 * Every target is a child process of this build (dist/cli/main.js), on loopback, warmed up
 * before it is measured (`warmUp`: a fresh process's first second is mostly its JIT at work).
 *
 * Run alone: `node dist-tools/tools/bench/replication-bench.js [--size 256MiB] [--writes 20000] [--rounds 1] [--json]`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { controlRequest } from '../../src/replication/control/client.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import { runQemuImgBench, warmUp, type Workload } from './qemu-img-bench.js';
import { HOST, replicateCli, serve, type ServeProcess } from './serve-process.js';
import { median } from './median.js';
import { withNodeCores, type NodeCores } from './node-cores.js';

export interface ReplicationBenchOptions {
  /** LUN size in bytes (all three setups). Default 256 MiB. */
  sizeBytes?: number;
  /** 4 KiB writes per qemu-img run. Default 20 000. */
  writes?: number;
  /** Rounds of the three setups; medians are reported. Default 1. */
  rounds?: number;
  /** Delta part: distinct chunks dirtied, and 4 KiB writes into each. Defaults 64 and 16. */
  dirtyChunks?: number;
  rewritesPerChunk?: number;
  /** Where the processes run (node-cores.ts). Default 'shared'. */
  nodeCores?: NodeCores;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** One workload's medians over the rounds. */
export interface ReplicationWorkloadResult {
  name: string;
  unreplicatedIops: number;
  syncIops: number;
  asyncIops: number;
  /** Median over rounds of (replicated / unreplicated in the same round). */
  syncRatio: number;
  asyncRatio: number;
  /**
   * Async: median seconds the backup still lagged once the host's run ended (until the
   * queue held nothing unconfirmed). Work the IOPS figure does not see: a backlog that
   * grows with the run's length means the backup does not keep up.
   */
  asyncBacklogSeconds: number;
}

/** Scheduled recovery points during async mirroring: their cost to host writes. */
export interface PointCostResult {
  workload: string;
  /** Median IOPS without points and with one every second. */
  withoutIops: number;
  withIops: number;
  /** Median over rounds of with / without. */
  ratio: number;
  /** Points made during the runs, and how long each held host writes (ms). */
  points: number;
  heldMsMedian: number;
  heldMsMax: number;
}

export interface ReplicationBenchResult {
  nodeCores: NodeCores;
  points: PointCostResult;
  writes: number;
  sizeBytes: number;
  workloads: ReplicationWorkloadResult[];
  /** Mode switches seen during the continuous runs (should be none). */
  switches: string[];
  delta: {
    chunkSize: number;
    distinctChunks: number;
    hostWrites: number;
    hostBytes: number;
    /** Payload the pass reports (`tandem replicate`). */
    passBytes: number;
    /** TCP bytes primary → backup during the pass (iSCSI headers included). */
    wireBytes: number;
    expectedBytes: number;
    /** wireBytes / expectedBytes: 1 plus protocol overhead when each chunk goes once. */
    wireRatio: number;
  };
}

const BACKUP_IQN = 'iqn.2026-11.io.tandem:bench-backup';
const PRIMARY_IQN = 'iqn.2026-11.io.tandem:bench-primary';
const CHUNK_SIZE = 64 * 1024;
const WRITE_SIZE = 4096;
/** A prime number of blocks between requests: successive writes land ~8 MiB apart, every one at a new offset until the step wraps. */
export const SCATTER_STEP = 2053 * WRITE_SIZE;
/**
 * Untimed runs of each workload before each setup is measured, the unreplicated LUN as
 * many as each primary: a primary's write path (queue, shipper, initiator) was still being
 * compiled after a fifth of a run, its compiler and collector threads then taking as much
 * CPU as its event loop (docs/performance.md, eleventh session).
 */
const WARM_UP_RUNS = 3;

/** Untimed writes per workload: WARM_UP_RUNS runs of the largest workload. */
const warmUpWrites = (workloads: readonly Workload[]): number => Math.max(...workloads.map((w) => w.count)) * WARM_UP_RUNS;

/** A TCP relay that counts the bytes each way; `reset()` starts a new measurement. */
interface CountingProxy {
  port: number;
  up: number;
  down: number;
  reset(): void;
  close(): Promise<void>;
}

async function startCountingProxy(targetPort: number): Promise<CountingProxy> {
  const sockets = new Set<Socket>();
  const proxy: CountingProxy = {
    port: 0,
    up: 0,
    down: 0,
    reset() {
      proxy.up = 0;
      proxy.down = 0;
    },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
  const server: Server = createServer((client) => {
    const backend = createConnection({ host: HOST, port: targetPort });
    for (const s of [client, backend]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        backend.destroy();
      });
    }
    client.on('data', (c: Buffer) => (proxy.up += c.length));
    backend.on('data', (c: Buffer) => (proxy.down += c.length));
    client.pipe(backend);
    backend.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  proxy.port = (server.address() as { port: number }).port;
  return proxy;
}

async function statusOf(control: string): Promise<NonNullable<ServerStatus['luns'][number]['replication']>> {
  const r = await controlRequest(control, { cmd: 'status' }, { timeoutMs: 10_000 });
  if (!r.ok) throw new Error(`status: ${r.error}`);
  return (r.result as ServerStatus).luns[0]!.replication!;
}

/** Polls until `done` holds (the first sync and the journal drain take a few seconds). */
async function waitFor(control: string, what: string, done: (s: Awaited<ReturnType<typeof statusOf>>) => boolean, timeoutMs = 300_000, pollMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await statusOf(control);
    if (done(s)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: state ${s.state}, dirty ${s.dirtyChunks}, journal ${s.journal.entries}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Until the primary mirrors continuously (its first start copies the whole volume first). */
export function untilContinuous(control: string): Promise<void> {
  return waitFor(control, 'continuous mirroring', (s) => s.state === 'continuous');
}

/** Until nothing is left unconfirmed, so the next run starts with nothing pending (or the engine left continuous mode). */
export function untilDrained(control: string, pollMs?: number): Promise<void> {
  return waitFor(control, 'queue drain', (x) => x.journal.entries === 0 || x.state !== 'continuous', 300_000, pollMs);
}

/**
 * A primary's config file for runs that measure a mode, not the switching: generous link
 * limits, and a journal of `journalCapacity` bytes (enough to hold a whole run). Returns `path`.
 */
export function writeContinuousConfig(path: string, journalCapacity: number): string {
  writeFileSync(path, JSON.stringify({ replication: { journalCapacity, thresholds: { maxRttMs: '30s', maxWriteLatencyMs: '30s', healthyForMs: '200ms' } } }));
  return path;
}

/** Warms a mirroring primary up (`warmUp`) once it mirrors, and waits until what that shipped is confirmed. */
async function warmUpMirror(control: string, url: string, workloads: readonly Workload[], pollMs?: number): Promise<void> {
  await untilContinuous(control);
  await warmUp(url, workloads, warmUpWrites(workloads), () => untilDrained(control, pollMs));
}

const round2 = (x: number): number => Number(x.toFixed(2));

export function runReplicationBench(options: ReplicationBenchOptions = {}): Promise<ReplicationBenchResult> {
  const nodeCores = options.nodeCores ?? 'shared';
  return withNodeCores(nodeCores, async (pinBackup) => ({ nodeCores, ...(await replicationBench(options, pinBackup)) }));
}

async function replicationBench(options: ReplicationBenchOptions, pinBackup: (pid: number) => void): Promise<Omit<ReplicationBenchResult, 'nodeCores'>> {
  const size = options.sizeBytes ?? 256 * 1024 * 1024;
  const writes = options.writes ?? 20_000;
  const rounds = options.rounds ?? 1;
  const dirtyChunks = options.dirtyChunks ?? 64;
  const rewrites = options.rewritesPerChunk ?? 16;
  const log = options.log ?? (() => undefined);
  const workloads: Workload[] = [
    { name: '4 KiB write, sequential', blockSize: WRITE_SIZE, count: writes, write: true, depth: 32 },
    { name: '4 KiB write, scattered', blockSize: WRITE_SIZE, count: writes, write: true, depth: 32, step: SCATTER_STEP },
    { name: '4 KiB FUA write, scattered', blockSize: WRITE_SIZE, count: writes, write: true, depth: 32, step: SCATTER_STEP, cache: 'writethrough' },
  ];
  const work = mkdtempSync(join(tmpdir(), 'tandem-repl-bench-'));
  const config = writeContinuousConfig(join(work, 'primary.json'), Math.max(64 * 1024 * 1024, writes * (WRITE_SIZE + 512)));
  // Per workload, per round: IOPS of each setup.
  const runs = workloads.map(() => ({ plain: [] as number[], sync: [] as number[], async: [] as number[], backlog: [] as number[] }));
  const switches: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  try {
    const backup = await serve(work, 'backup', ['--role', 'backup', '--iqn', BACKUP_IQN, '--lun', `${join(work, 'backup.img')},size=${size}`]);
    stops.push(backup.stop);
    pinBackup(backup.pid);
    const proxy = await startCountingProxy(backup.port);
    stops.push(proxy.close);
    // Speed is measured primary to backup directly, as deployed; only the delta pass's bytes
    // go through the counting proxy (a third process relaying every byte changes the timing
    // of both nodes: see docs/performance.md).
    const primaryArgs = (mode: string[], backupPort = backup.port, image = 'primary.img') => [
      '--role', 'primary', '--iqn', PRIMARY_IQN, '--lun', `${join(work, image)},size=${size}`,
      '--replica', `iscsi://${HOST}:${backupPort}/${BACKUP_IQN}/0`, '--config', config, ...mode,
    ];
    const primaryUrl = (p: ServeProcess) => `iscsi://${HOST}:${p.port}/${PRIMARY_IQN}/0`;

    /**
     * All three setups up at once (the synchronous pair on images of its own), each warmed up
     * once, then each round runs every workload on the three back to back, in an order that
     * turns each round: this VM's speed moves by a third between minutes, so setups measured
     * minutes apart (a warm-up each between them) compared the minutes more than the setups.
     */
    async function measureInterleaved(): Promise<void> {
      const running: Array<() => Promise<void>> = [];
      try {
        const started = async (name: string, args: string[]): Promise<ServeProcess> => {
          const p = await serve(work, name, args);
          running.push(p.stop);
          return p;
        };
        const syncBackup = await started('backup-sync', ['--role', 'backup', '--iqn', BACKUP_IQN, '--lun', `${join(work, 'backup-sync.img')},size=${size}`]);
        pinBackup(syncBackup.pid);
        const plain = await started('plain', ['--iqn', PRIMARY_IQN, '--lun', `${join(work, 'plain.img')},size=${size}`]);
        const sync = await started('primary-sync', primaryArgs(['--replication-mode', 'continuous', '--sync'], syncBackup.port, 'primary-sync.img'));
        const async = await started('primary-async', primaryArgs(['--replication-mode', 'continuous', '--async']));
        await warmUp(primaryUrl(plain), workloads, warmUpWrites(workloads));
        // The first start copies the whole volume; then each is in step.
        for (const primary of [sync, async]) await warmUpMirror(primary.control, primaryUrl(primary), workloads, 20);
        const setups = [
          { setup: 'plain' as const, target: plain },
          { setup: 'sync' as const, target: sync },
          { setup: 'async' as const, target: async },
        ];
        for (let round = 0; round < rounds; round++) {
          for (const [i, workload] of workloads.entries()) {
            const turn = (round + i) % setups.length;
            for (const { setup, target } of [...setups.slice(turn), ...setups.slice(0, turn)]) {
              const iops = setup === 'plain' ? (await runQemuImgBench(primaryUrl(target), workload)).iops : await runMirrored(target, setup, workload, runs[i]!.backlog);
              runs[i]![setup].push(iops);
              log(`round ${round + 1} ${setup === 'plain' ? 'unreplicated' : setup.padEnd(5)} ${workload.name}: ${iops.toFixed(0)} IOPS`);
            }
          }
        }
      } finally {
        for (const stop of running.reverse()) await stop();
      }
    }

    /** One run on a mirroring primary; then its queue drains, so the next run starts with nothing pending. */
    async function runMirrored(primary: ServeProcess, flavour: 'sync' | 'async', workload: Workload, backlog: number[]): Promise<number> {
      await untilContinuous(primary.control);
      const before = (await statusOf(primary.control)).lastSwitch?.at;
      const r = await runQemuImgBench(primaryUrl(primary), workload);
      const s = await statusOf(primary.control);
      if (s.lastSwitch && s.lastSwitch.at !== before) switches.push(`${flavour} ${workload.name}: ${s.lastSwitch.from} -> ${s.lastSwitch.to} (${s.lastSwitch.reason})`);
      if (s.state !== 'continuous') log(`  ${flavour} left continuous mirroring: ${s.lastSwitch?.reason}`);
      const ended = performance.now();
      await untilDrained(primary.control, 20);
      if (flavour === 'async') backlog.push((performance.now() - ended) / 1000);
      return r.iops;
    }

    await measureInterleaved();

    const points = await measurePointCost(work, (mode) => serve(work, 'primary', primaryArgs(mode)), primaryUrl, writes * 3, rounds, log);

    const primary = await serve(work, 'primary', primaryArgs(['--replication-mode', 'delta'], proxy.port));
    stops.push(primary.stop);
    await replicateCli(primary.control); // whatever an earlier run left dirty
    // Loaded here so a log level set by the caller applies to its module logger.
    const { IscsiSession } = await import('../../src/initiator/index.js');
    const host = await IscsiSession.connect({ host: HOST, port: primary.port, targetName: PRIMARY_IQN, initiatorName: 'iqn.2026-11.io.tandem:bench-host' });
    const blockSize = 512;
    try {
      await host.waitReady(0);
      const data = Buffer.alloc(WRITE_SIZE);
      // Spread chunks over the volume; within each, rewrites land on a few blocks again and again.
      const stride = Math.max(1, Math.floor(size / CHUNK_SIZE / dirtyChunks));
      for (let c = 0; c < dirtyChunks; c++) {
        for (let w = 0; w < rewrites; w++) {
          data.fill((c * 31 + w) & 0xff);
          const offset = c * stride * CHUNK_SIZE + ((w % 4) * WRITE_SIZE);
          await host.write16(0, offset / blockSize, data);
        }
      }
      await host.synchronizeCache(0);
    } finally {
      await host.logout();
    }
    proxy.reset();
    const pass = await replicateCli(primary.control);
    const wireBytes = proxy.up;
    const expectedBytes = dirtyChunks * CHUNK_SIZE;
    const ratios = (xs: number[], base: number[]) => round2(median(xs.map((x, i) => x / base[i]!)));
    return {
      points,
      writes,
      sizeBytes: size,
      workloads: workloads.map((w, i) => {
        const r = runs[i]!;
        return {
          name: w.name,
          unreplicatedIops: Math.round(median(r.plain)),
          syncIops: Math.round(median(r.sync)),
          asyncIops: Math.round(median(r.async)),
          syncRatio: ratios(r.sync, r.plain),
          asyncRatio: ratios(r.async, r.plain),
          asyncBacklogSeconds: Number(median(r.backlog).toFixed(2)),
        };
      }),
      switches,
      delta: {
        chunkSize: CHUNK_SIZE,
        distinctChunks: dirtyChunks,
        hostWrites: dirtyChunks * rewrites,
        hostBytes: dirtyChunks * rewrites * WRITE_SIZE,
        passBytes: pass.bytesSent,
        wireBytes,
        expectedBytes,
        wireRatio: Number((wireBytes / expectedBytes).toFixed(3)),
      },
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Scattered 4 KiB writes in async continuous mirroring with `pointInterval` 0 and 1 s,
 * alternating; each point's hold of host writes is what the primary logs (`point-created`).
 */
async function measurePointCost(
  work: string,
  startPrimary: (mode: string[]) => Promise<ServeProcess>,
  urlOf: (p: ServeProcess) => string,
  writes: number,
  rounds: number,
  log: (line: string) => void,
): Promise<PointCostResult> {
  const workload: Workload = { name: '4 KiB write, scattered', blockSize: WRITE_SIZE, count: writes, write: true, depth: 32, step: SCATTER_STEP };
  const without: number[] = [];
  const withPoints: number[] = [];
  const primary = await startPrimary(['--replication-mode', 'continuous', '--async']);
  try {
    const set = async (value: string) => {
      const r = await controlRequest(primary.control, { cmd: 'config-set', key: 'pointInterval', value }, { timeoutMs: 10_000 });
      if (!r.ok) throw new Error(`config set pointInterval ${value}: ${r.error}`);
    };
    await warmUpMirror(primary.control, urlOf(primary), [workload]);
    for (let round = 0; round < rounds; round++) {
      for (const interval of round % 2 === 0 ? ['0', '1s'] : ['1s', '0']) {
        await set(interval);
        await untilContinuous(primary.control);
        const r = await runQemuImgBench(urlOf(primary), workload);
        (interval === '0' ? without : withPoints).push(r.iops);
        log(`round ${round + 1} async, pointInterval ${interval.padEnd(2)}: ${r.iops.toFixed(0)} IOPS`);
        await set('0');
        await untilDrained(primary.control);
      }
    }
  } finally {
    await primary.stop();
  }
  const held = readFileSync(join(work, 'primary.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"event":"point-created"'))
    .map((l) => (JSON.parse(l) as { heldMs: number }).heldMs);
  const withoutIops = median(without);
  const withIops = median(withPoints);
  return {
    workload: workload.name,
    withoutIops: Math.round(withoutIops),
    withIops: Math.round(withIops),
    ratio: round2(median(withPoints.map((x, i) => x / without[i]!))),
    points: held.length,
    heldMsMedian: held.length ? Number(median(held).toFixed(3)) : 0,
    heldMsMax: held.length ? Number(Math.max(...held).toFixed(3)) : 0,
  };
}

export function formatReplicationBench(r: ReplicationBenchResult): string {
  const d = r.delta;
  const p = r.points;
  return [
    `replication: ${r.writes} writes per run at QD 32 (qemu-img bench), ${r.sizeBytes / 1024 / 1024} MiB LUNs; IOPS and ratio to unreplicated`,
    r.nodeCores === 'separate' ? '  the backup alone on a core of its own, the host and the target or primary on the others (as two machines)' : '  host, target or primary, and backup sharing all cores',
    `  ${'workload'.padEnd(28)} ${'unreplicated'.padStart(12)} ${'sync'.padStart(14)} ${'async'.padStart(14)} ${'async backlog'.padStart(14)}`,
    ...r.workloads.map(
      (w) =>
        `  ${w.name.padEnd(28)} ${String(w.unreplicatedIops).padStart(12)} ${`${w.syncIops} ${w.syncRatio.toFixed(2)}`.padStart(14)} ${`${w.asyncIops} ${w.asyncRatio.toFixed(2)}`.padStart(14)} ${`${w.asyncBacklogSeconds.toFixed(2)} s`.padStart(14)}`,
    ),
    `  (async backlog: seconds the backup still lagged when the host's run ended, until nothing was left unconfirmed)`,
    ...(r.switches.length ? [`  mode switches during the runs: ${r.switches.join('; ')}`] : []),
    `delta pass: ${d.distinctChunks} distinct chunks of ${d.chunkSize / 1024} KiB dirtied by ${d.hostWrites} host writes (${d.hostBytes} bytes)`,
    `  on the wire ${d.wireBytes} bytes (payload ${d.passBytes}) vs ${d.expectedBytes} = chunks x chunk size: ratio ${d.wireRatio.toFixed(3)}`,
    `recovery points, async, ${p.workload}: pointInterval 1s ${p.withIops} IOPS vs none ${p.withoutIops}: ratio ${p.ratio.toFixed(2)}`,
    `  ${p.points} points; host writes held ${p.heldMsMedian} ms median, ${p.heldMsMax} ms max`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { toolArgs } = await import('../harness/tool-args.js');
  const { parseSize } = await import('../../src/util/parse-size.js');
  const { setLogLevel } = await import('../../src/util/log.js');
  setLogLevel(process.env.TANDEM_LOG_LEVEL ?? 'warn');
  const argv = await toolArgs()
    .option('size', { type: 'string', default: '256MiB' })
    .option('writes', { type: 'number', default: 20_000 })
    .option('rounds', { type: 'number', default: 1 })
    .option('node-cores', { choices: ['shared', 'separate'] as const, default: 'shared' as const })
    .option('json', { type: 'boolean', default: false })
    .parseAsync();
  const result = await runReplicationBench({
    nodeCores: argv.nodeCores,
    sizeBytes: parseSize(argv.size, '--size'),
    writes: argv.writes,
    rounds: argv.rounds,
    log: argv.json ? undefined : (l) => console.log(l),
  });
  console.log(argv.json ? JSON.stringify(result, null, 2) : `\n${formatReplicationBench(result)}`);
}
