/**
 * A primary and a backup `tandem serve` as real child processes (dist/cli/main.js), with a
 * FaultProxy in this process between them, plus the small helpers every failure test
 * needs: status polling over the control socket, admin commands through the real CLI,
 * image hashes, and teardown that never leaves a child behind.
 *
 * `Cluster.pair()` starts both nodes naming each other (`--peer`), for failover: the
 * backup reaches the primary through a second FaultProxy (`reverseProxy`), so a test can
 * cut either direction or both (a partition). The processes keep their names (`primary`
 * is the one started as primary, on primary.img, target PRIMARY_IQN; `backup` on
 * backup.img, BACKUP_IQN) whatever roles they hold later: read the role from status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../../tools/harness/ports.js';
import { controlRequest } from '../../src/replication/control/client.js';
import type { ServerStatus } from '../../src/replication/control/handler.js';
import type { ReplicationStatus } from '../../src/replication/status.js';
import { FaultProxy } from './fault-proxy.js';
import { SERVE_NODE_OPTIONS } from '../../src/cli/node-options.js';

export const BACKUP_IQN = 'iqn.2026-11.io.tandem:fm-backup';
export const PRIMARY_IQN = 'iqn.2026-11.io.tandem:fm-primary';
export const HOST_IQN = 'iqn.2026-11.example:fm-host';
export const CHUNK = 64 * 1024;

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(packageRoot, 'dist', 'cli', 'main.js');

export interface ServeChild {
  child: ChildProcess;
  port: number;
  control: string;
  log: string;
  /** stderr of the process (the one-line errors of `tandem serve`). */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface PrimaryOptions {
  mode?: 'continuous' | 'delta' | 'auto';
  sync?: boolean;
  /** --after-split-brain on serve. */
  afterSplitBrain?: string;
  /** Image name inside the cluster directory (default primary.img). */
  image?: string;
  /** Resolve once listening (default); false: return at once (for expected start failures). */
  waitListening?: boolean;
}

export interface PairOptions {
  /** The primary's mirroring mode and flavour; the backup gets the same (it uses them once promoted). */
  mode?: 'continuous' | 'delta' | 'auto';
  sync?: boolean;
  /** --after-split-brain on both nodes. */
  afterSplitBrain?: string;
  /**
   * LUNs per node (default 1). Several: each node serves them from a config file, LUN n
   * replicating to the other node's LUN n through the same proxies (lunImage names the files).
   */
  luns?: number;
}

/** What a `tandem` CLI run left: exit code and both streams. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every child this module started, so afterEach can kill stragglers of a failed test. */
const live = new Set<ChildProcess>();

export class Cluster {
  readonly dir: string;
  /** The LUN size both nodes are started with; a test that grows the pair raises it before restarting a node. */
  size: number;
  /** The backup's LUN image (its metadata and point store beside it, in `<image>.tandem`). */
  readonly backupImage: string;
  backup!: ServeChild;
  primary: ServeChild | undefined;
  /** Primary → backup (the primary's replica link). */
  proxy!: FaultProxy;
  /** Backup → primary (the backup's peer link); only in a pair. */
  reverseProxy: FaultProxy | undefined;
  /** A pair's primary listens on a port chosen up front (the backup's --peer leads to it); restarts reuse it. */
  private primaryPort: number | undefined;
  private pairOptions: PairOptions | undefined;
  private primaryOptions: PrimaryOptions = {};

  private constructor(size: number, backupDir?: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'tandem-fm-'));
    this.size = size;
    this.backupImage = join(backupDir ?? this.dir, 'backup.img');
  }

  /**
   * Both nodes with peers: the backup (`--peer` → reverseProxy → the primary's port, chosen
   * up front), then the primary (`--replica` → proxy → the backup). Both get the same mode,
   * flavour and split-brain policy, so either can be the primary.
   */
  static async pair(size = 32 * 1024 * 1024, options: PairOptions = {}): Promise<Cluster> {
    const c = new Cluster(size);
    c.pairOptions = options;
    c.primaryPort = await freePort();
    c.reverseProxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: c.primaryPort });
    c.backup = await c.serve('backup', c.backupArgs());
    c.proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: c.backup.port });
    await c.startPrimary({ ...options });
    return c;
  }

  /** Backup process plus the proxy in front of it; no primary yet. `backupDir`: where the backup's image lives (default: the cluster directory). */
  static async withBackup(size = 32 * 1024 * 1024, backupDir?: string): Promise<Cluster> {
    const c = new Cluster(size, backupDir);
    c.backup = await c.serve('backup', c.backupArgs());
    c.proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: c.backup.port });
    return c;
  }

  /** Starts the backup again (after a kill) on its old port, so the proxy still leads to it. */
  async restartBackup(): Promise<ServeChild> {
    this.backup = await this.serve('backup', this.backupArgs(), true, this.backup.port);
    return this.backup;
  }

  private backupArgs(): string[] {
    const o = this.pairOptions;
    if (o && (o.luns ?? 1) > 1) return ['--role', 'backup', ...this.configArgs('backup', BACKUP_IQN, (lun) => this.peerUrlOf(lun)), ...this.mirroringArgs(o)];
    const args = ['--role', 'backup', '--iqn', BACKUP_IQN, '--lun', `${this.backupImage},size=${this.size}`];
    if (this.reverseProxy && o) args.push('--peer', this.peerUrl, ...this.mirroringArgs(o));
    return args;
  }

  private mirroringArgs(o: PairOptions): string[] {
    return ['--replication-mode', o.mode ?? 'auto', o.sync ? '--sync' : '--async', ...(o.afterSplitBrain ? ['--after-split-brain', o.afterSplitBrain] : [])];
  }

  /** `--config FILE` for a node of several LUNs (pairOptions.luns), each with its peer; the file is written afresh (the size may have grown). */
  private configArgs(node: 'primary' | 'backup', iqn: string, peer: (lun: number) => string): string[] {
    const config = join(this.dir, `${node}.json`);
    const luns = Array.from({ length: this.pairOptions!.luns! }, (_, lun) => ({ path: this.lunImage(node, lun), size: this.size, peer: peer(lun) }));
    writeFileSync(config, JSON.stringify({ targets: [{ iqn, luns }] }));
    return ['--config', config];
  }

  /** The image of a node's LUN `lun` (LUN 0: primary.img or backupImage; LUN n: primary-n.img, backup-n.img). */
  lunImage(node: 'primary' | 'backup', lun: number): string {
    if (lun === 0) return node === 'primary' ? join(this.dir, 'primary.img') : this.backupImage;
    return join(this.dir, `${node}-${lun}.img`);
  }

  /** The backup's --peer: the primary's LUN through the reverse proxy. */
  get peerUrl(): string {
    return this.peerUrlOf(0);
  }

  private peerUrlOf(lun: number): string {
    return `iscsi://127.0.0.1:${this.reverseProxy!.port}/${PRIMARY_IQN}/${lun}`;
  }

  /** Starts the primary process again (after a kill) with its last options, on its own port in a pair. */
  restartPrimary(): Promise<ServeChild> {
    return this.startPrimary(this.primaryOptions);
  }

  /** The target name a node serves its LUN under. */
  iqnOf(server: ServeChild): string {
    return server === this.backup ? BACKUP_IQN : PRIMARY_IQN;
  }

  /** Cuts both directions between the nodes (reset and refuse). */
  partition(): void {
    this.proxy.cut();
    this.reverseProxy?.cut();
  }

  /** Restores both directions. */
  heal(): void {
    this.proxy.restore();
    this.reverseProxy?.restore();
  }

  get replicaUrl(): string {
    return this.replicaUrlOf(0);
  }

  private replicaUrlOf(lun: number): string {
    return `iscsi://127.0.0.1:${this.proxy.port}/${BACKUP_IQN}/${lun}`;
  }

  async startPrimary(options: PrimaryOptions = {}): Promise<ServeChild> {
    const image = join(this.dir, options.image ?? 'primary.img');
    const several = !options.image && (this.pairOptions?.luns ?? 1) > 1;
    const lunArgs = several ? this.configArgs('primary', PRIMARY_IQN, (lun) => this.replicaUrlOf(lun)) : ['--iqn', PRIMARY_IQN, '--lun', `${image},size=${this.size}`, '--replica', this.replicaUrl];
    const args = ['--role', 'primary', ...lunArgs, ...this.mirroringArgs(options)];
    const name = options.image ? options.image.replace(/\.img$/, '') : 'primary';
    const child = await this.serve(name, args, options.waitListening ?? true, options.image ? undefined : this.primaryPort);
    if (!options.image) {
      this.primary = child;
      this.primaryOptions = options;
    }
    return child;
  }

  /** Status of the single replicated LUN of a server. */
  async status(server: ServeChild = this.primary!): Promise<ReplicationStatus> {
    const replication = (await this.serverStatus(server)).luns[0]?.replication;
    if (!replication) throw new Error('status has no replication section');
    return replication;
  }

  /** The status of a server and all its LUNs (a node with several). */
  async serverStatus(server: ServeChild): Promise<ServerStatus> {
    const r = await controlRequest(server.control, { cmd: 'status' }, { timeoutMs: 5_000 });
    if (!r.ok) throw new Error(`status: ${r.error}`);
    return r.result as ServerStatus;
  }

  /** `tandem config set KEY VALUE` through the real CLI (on the primary process unless `server`). */
  async configSet(key: string, value: string, server: ServeChild = this.primary!): Promise<void> {
    const r = await runCli(['config', 'set', key, value, '--control', server.control]);
    if (r.code !== 0) throw new Error(`tandem config set ${key} ${value}: exit ${r.code}: ${r.stderr}${r.stdout}`);
  }

  /** `tandem promote [--force] --json` on `server`, through the real CLI; the caller checks the exit code. */
  promote(server: ServeChild, force = false): Promise<CliResult> {
    return runCli(['promote', ...(force ? ['--force'] : []), '--json', '--control', server.control]);
  }

  /** `tandem demote --json` on `server`. */
  demote(server: ServeChild): Promise<CliResult> {
    return runCli(['demote', '--json', '--control', server.control]);
  }

  /** `tandem switchover --json` on `server` (generous timeout: it drains under load). */
  switchover(server: ServeChild): Promise<CliResult> {
    return runCli(['switchover', '--json', '--control', server.control], 60_000);
  }

  /** `tandem resolve --discard-local --json` on `server`. */
  resolveDiscardLocal(server: ServeChild): Promise<CliResult> {
    return runCli(['resolve', '--discard-local', '--json', '--control', server.control]);
  }

  /** `tandem replicate --json` through the real CLI. */
  async replicate(): Promise<{ passes: Array<{ chunks: number; sentChunks: number; bytesSent: number }>; bytesSent: number }> {
    const r = await runCli(['replicate', '--json', '--control', this.primary!.control]);
    if (r.code !== 0) throw new Error(`tandem replicate: exit ${r.code}: ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { passes: Array<{ chunks: number; sentChunks: number; bytesSent: number }>; bytesSent: number };
  }

  /** Polls the primary process's status until `predicate` holds; throws with the last status after `timeoutMs`. */
  waitFor(what: string, predicate: (s: ReplicationStatus) => boolean, timeoutMs: number, intervalMs = 100): Promise<ReplicationStatus> {
    return this.waitOn(this.primary!, what, predicate, timeoutMs, intervalMs);
  }

  /** Polls `server`'s status until `predicate` holds; throws with the last status after `timeoutMs`. */
  waitOn(server: ServeChild, what: string, predicate: (s: ReplicationStatus) => boolean, timeoutMs: number, intervalMs = 100): Promise<ReplicationStatus> {
    return poll(what, () => this.status(server), predicate, summary, timeoutMs, intervalMs);
  }

  /** Polls `server`'s status of every LUN until `predicate` holds (a node with several LUNs). */
  waitOnServer(server: ServeChild, what: string, predicate: (s: ServerStatus) => boolean, timeoutMs: number): Promise<ServerStatus> {
    const describe = (s: ServerStatus | undefined) => s?.luns.map((l) => summary(l.replication));
    return poll(what, () => this.serverStatus(server), predicate, describe, timeoutMs, 100);
  }

  /** Polls `server` until it serves `luns` replicated LUNs and every one's status satisfies `ok` (a node with several LUNs). */
  waitOnEveryLun(server: ServeChild, luns: number, what: string, ok: (s: ReplicationStatus) => boolean, timeoutMs: number): Promise<ServerStatus> {
    return this.waitOnServer(server, what, (s) => s.luns.length === luns && s.luns.every((l) => l.replication !== undefined && ok(l.replication)), timeoutMs);
  }

  /** Continuous mirroring with nothing pending: the journal is empty and no chunk is dirty. */
  waitQuiesced(timeoutMs: number): Promise<ReplicationStatus> {
    return this.waitFor('continuous with nothing pending', (s) => s.state === 'continuous' && s.journal.entries === 0 && s.dirtyChunks === 0, timeoutMs);
  }

  /** A fresh primary syncs first (delta, challenge pass), then goes continuous after healthyForMs. */
  async waitContinuous(timeoutMs = 15_000): Promise<ReplicationStatus> {
    return this.waitFor('continuous mirroring', (s) => s.state === 'continuous', timeoutMs);
  }

  hashes(): { primary: string; backup: string } {
    return { primary: hashFile(join(this.dir, 'primary.img')), backup: hashFile(this.backupImage) };
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** SIGKILL and wait for the exit. */
  async kill(server: ServeChild): Promise<void> {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
  }

  async close(): Promise<void> {
    await this.proxy?.close().catch(() => undefined);
    await this.reverseProxy?.close().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last lines of each process log, for a failing test's message. */
  logsTail(lines = 30): string {
    const parts: string[] = [];
    for (const name of ['backup', 'primary']) {
      try {
        const text = readFileSync(join(this.dir, `${name}.log`), 'utf8').trim().split('\n');
        parts.push(`--- ${name}.log ---\n${text.slice(-lines).join('\n')}`);
      } catch {
        // No such process in this test.
      }
    }
    return parts.join('\n');
  }

  /**
   * A directory and nothing started: a test with nodes of its own making (a config file,
   * several LUNs) starts them with serve() and gets the same teardown and helpers.
   */
  static empty(): Cluster {
    return new Cluster(0);
  }

  /** `tandem serve ROLEARGS --listen 127.0.0.1:PORT --control DIR/NAME.sock`, logging to DIR/NAME.log. */
  async serve(name: string, roleArgs: string[], waitListening = true, fixedPort?: number): Promise<ServeChild> {
    let port = fixedPort ?? (await freePort());
    // A pair's primary port is reserved by number only: never hand it to another process.
    while (fixedPort === undefined && port === this.primaryPort) port = await freePort();
    const control = join(this.dir, `${name}.sock`);
    const log = join(this.dir, `${name}.log`);
    const out = openSync(log, 'a');
    const child = spawn(process.execPath, [...SERVE_NODE_OPTIONS, CLI, 'serve', ...roleArgs, '--listen', `127.0.0.1:${port}`, '--control', control, '--log-level', 'info'], {
      stdio: ['ignore', out, 'pipe'],
    });
    closeSync(out);
    live.add(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (t: string) => (stderr += t.slice(0, 64 * 1024)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      }),
    );
    const server: ServeChild = { child, port, control, log, stderr: () => stderr, exited };
    if (waitListening) {
      try {
        await waitForPort('127.0.0.1', port, 20_000, () => child.exitCode === null);
      } catch (e) {
        throw new Error(`${name} did not start: ${(e as Error).message}\n${stderr}`);
      }
    }
    return server;
  }
}

/** Kills every child still running (afterEach), and waits for them. */
export async function killAllChildren(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

export function runCli(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tandem ${args.join(' ')}: no exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

export function hashFile(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Reads until `predicate` holds (a failed read keeps the last value); throws with `describe` of the last one after `timeoutMs`. */
async function poll<T>(what: string, read: () => Promise<T>, predicate: (t: T) => boolean, describe: (t: T | undefined) => unknown, timeoutMs: number, intervalMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read().catch(() => last);
    if (last !== undefined && predicate(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last status: ${JSON.stringify(describe(last))}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The status fields worth printing when a wait times out. */
export function summary(s: ReplicationStatus | undefined): unknown {
  if (!s) return undefined;
  return {
    role: s.role,
    state: s.state,
    mode: s.mode,
    flavour: s.flavour,
    lastSwitch: s.lastSwitch,
    journal: s.journal,
    dirtyChunks: s.dirtyChunks,
    link: s.link,
    figures: s.figures,
    binding: s.binding,
    generations: s.generations,
    peer: s.peer,
    resync: s.resync,
    resyncTarget: s.resyncTarget,
    splitBrain: s.splitBrain,
  };
}

/** The events `{"event": name, …}` a node logged (its pino log file), oldest first. */
export function logEvents(server: ServeChild, name: string): Array<Record<string, unknown>> {
  return readFileSync(server.log, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"event":"${name}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** One line of measured figures per test, for the run's log (timings, bytes, bounds). */
export function report(test: string, figures: Record<string, unknown>): void {
  console.info(`[failure-matrix] ${test}: ${JSON.stringify(figures)}`);
}

/**
 * In delta with the switch recorded: the engine shows state `delta` from the start of the
 * fold, and records the switch (lastSwitch) only once the journal is folded.
 */
export function switchedToDelta(s: ReplicationStatus): boolean {
  return s.state === 'delta' && s.lastSwitch?.to === 'delta';
}
